import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { FakeOpenAi } from './fake-openai.js'
import { instancePairCanRun, startInstancePair } from './instance-pair.js'
import { chat, ledgerReasonsPerChat, signUpOn } from './process-requests.js'

const IN_FLIGHT_CAP = 4
/** Long enough that the dead instance's slots are still held when B is first asked, a lease after A's kill at most. */
const LEASE_MS = 4000
const REFUNDED = 'refunded chats whose lease had expired'

if (instancePairCanRun('two-instance crash test')) {
  t.test(
    'after kill -9 of one instance, the other serves and refunds its chats once their leases expired',
    async (t) => {
      const fake = await FakeOpenAi.start(t)
      const { a, b, state } = await startInstancePair(t, {
        AI_PROVIDER: 'openai',
        AI_BASE_URL: fake.baseUrl,
        AI_MODEL: 'fake',
        AI_MAX_CONCURRENT_PER_USER: String(IN_FLIGHT_CAP),
        CHAT_LEASE: `${LEASE_MS / 1000}s`
      })
      const victim = await signUpOn(a.baseUrl, 'victim')
      const bystander = await signUpOn(b.baseUrl, 'bystander')
      fake.next(...Array.from({ length: IN_FLIGHT_CAP }, () => ({ kind: 'hold' as const, text: 'never sent' })))
      const lost = Array.from({ length: IN_FLIGHT_CAP }, (_, index) =>
        chat(a.baseUrl, victim, `lost ${index}`).catch(() => undefined)
      )
      while (fake.received.length < IN_FLIGHT_CAP) await sleep(10)

      a.child.kill('SIGKILL')
      await a.exited
      const killedAt = Date.now()
      const blocked = await chat(b.baseUrl, victim, 'let me in')
      t.equal(blocked.status, 429, "the dead instance's slots are still held in Redis")
      t.equal(blocked.body.code, 'too_many_chats_in_flight')
      t.same((await Promise.all(lost)).filter(Boolean), [], 'the dead instance answered none of its chats')

      const onB = await chat(b.baseUrl, bystander, 'still there?')
      t.equal(onB.status, 201, 'B goes on answering')
      const balance = await fetch(`${b.baseUrl}/api/tokenbalance/`, { headers: victim })
      t.equal(balance.status, 200)
      t.same(
        await balance.json(),
        { username: 'victim', tokens: 4000 - IN_FLIGHT_CAP * 100 },
        "B reads the victim's balance, still charged"
      )

      // Within about a lease and a sweep interval of A's last renewal; the tap timeout bounds the wait.
      while ((await state.countChats('pending')) > 0) await sleep(100)
      t.comment(`the dead instance's chats were refunded ${Date.now() - killedAt} ms after kill -9`)
      t.ok(await b.logged((line) => line.msg === REFUNDED), 'B refunded them')
      const victimId = (await state.user('victim')).id
      const victimChats = (await state.chats()).filter(({ userId }) => userId === victimId)
      t.same(
        victimChats.map(({ status }) => status),
        Array(IN_FLIGHT_CAP).fill('failed')
      )
      t.ok(
        victimChats.every((chat) => chat.updatedAt >= chat.leaseExpiresAt),
        'each only after its lease had expired'
      )
      t.same(
        await ledgerReasonsPerChat(state),
        [...Array(IN_FLIGHT_CAP).fill('chat,refund'), 'chat'],
        "each of the dead instance's chats was charged and refunded once, B's chat charged once"
      )
      t.equal((await state.user('victim')).tokens, 4000)
      t.same(await state.ledgerMismatches(), [])

      // The dead instance's slots expire a lease after their last renewal, which runs on a timer of its own: up to a
      // third of a lease after the chats' leases.
      let again = await chat(b.baseUrl, victim, 'let me in')
      while (again.status === 429) {
        await sleep(100)
        again = await chat(b.baseUrl, victim, 'let me in')
      }
      t.comment(`the dead instance's in-flight slots had expired ${Date.now() - killedAt} ms after kill -9`)
      t.equal(again.status, 201, 'once they expired, the victim chats on B')
      t.equal(again.body.remaining_tokens, 3900, 'charged once')
      t.same(await state.ledgerMismatches(), [])
    }
  )
}
