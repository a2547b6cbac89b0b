import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { FakeOpenAi } from './fake-openai.js'
import { chat, ledgerReasonsPerChat, post, signUpOn, stateOf } from './process-requests.js'
import { startServer } from './server-process.js'
import type { StoredState } from './stored-state.js'

const LEASE_MS = 2000
const USERS = 10
/** AI_MAX_CONCURRENT_PER_USER's default: 40 replies in flight in all. */
const CHATS_PER_USER = 4
const REFUNDED = 'refunded chats whose lease had expired'

/**
 * Process A on a fresh file with 40 chats reserved on it, four for each of ten users, whose replies the fake model
 * holds until `releaseHeld()`; half are streamed, each is sent with an Idempotency-Key.
 */
async function startAWithHeldChats(t: Test) {
  const fake = await FakeOpenAi.start(t)
  const env = { AI_PROVIDER: 'openai', AI_BASE_URL: fake.baseUrl, AI_MODEL: 'fake', CHAT_LEASE: `${LEASE_MS / 1000}s` }
  const a = await startServer(t, env)
  const users = await Promise.all(Array.from({ length: USERS }, (_, index) => signUpOn(a.baseUrl, `user${index}`)))
  const requests = users.flatMap((headers, user) =>
    Array.from({ length: CHATS_PER_USER }, (_, index) => ({
      headers: { ...headers, 'idempotency-key': `chat-${user}-${index}` },
      message: `message ${user}.${index}`,
      streamed: index % 2 === 0
    }))
  )
  fake.next(...requests.map(({ message }) => ({ kind: 'hold' as const, text: `answer to ${message}` })))
  const answers = requests.map(({ headers, message, streamed }) =>
    chat(a.baseUrl, headers, message, streamed).catch((error: Error) => ({ status: 0, body: { error: error.message } }))
  )
  // The model sees a request only after its chat was reserved and its lease taken.
  while (fake.received.length < requests.length) await sleep(10)
  return { fake, env, a, users, requests, answers }
}

async function balances(state: StoredState) {
  return (await state.users()).map(({ tokens }) => tokens)
}

t.test("a second process on the same file leaves the first one's 40 live replies alone", async (t) => {
  const { fake, env, a, users, requests, answers } = await startAWithHeldChats(t)

  const b = await startServer(t, env, { databaseUrl: a.databaseUrl })
  const [first] = requests
  const retryOnB = await post(b.baseUrl, '/api/chat_msg/', { message: first!.message }, first!.headers)
  t.equal(retryOnB.status, 409, "B sees A's chat as still in progress: its key stays bound while the lease lives")
  t.match(await retryOnB.json(), { code: 'idempotency_key_in_use' })
  // Without renewals every lease taken on A would have expired twice over, and B's sweep runs once a lease.
  await sleep(2 * LEASE_MS + LEASE_MS / 2)
  fake.releaseHeld()
  const answered = await Promise.all(answers)

  t.same(
    answered.map(({ status }) => status),
    requests.map(() => 201),
    'every reply on A was answered'
  )
  t.same(
    answered.map(({ body }) => body.response),
    requests.map(({ message }) => `answer to ${message}`)
  )
  t.notOk(
    b.lines.some((line) => line.msg === REFUNDED),
    'B refunded nothing'
  )
  const state = await stateOf(t, a.databaseUrl)
  t.equal(await state.countChats('completed'), 40)
  t.equal(await state.countChats(), 40, 'none failed, none pending')
  t.same(
    await ledgerReasonsPerChat(state),
    requests.map(() => 'chat'),
    'each chat was charged exactly once and never refunded'
  )
  t.same(
    await balances(state),
    users.map(() => 4000 - CHATS_PER_USER * 100)
  )
  t.same(await state.ledgerMismatches(), [])
})

t.test('after kill -9 of the first process, the second refunds its chats once their leases expired', async (t) => {
  const { env, a, users, requests } = await startAWithHeldChats(t)
  const b = await startServer(t, env, { databaseUrl: a.databaseUrl })

  a.child.kill('SIGKILL')
  await a.exited
  const state = await stateOf(t, a.databaseUrl)
  // Within about a lease and a sweep interval of A's last renewal; the tap timeout bounds the wait.
  while ((await state.countChats('pending')) > 0) await sleep(100)

  t.equal(await state.countChats('failed'), 40, "B refunded every one of A's chats")
  t.ok(b.lines.some((line) => line.msg === REFUNDED))
  t.ok(
    (await state.chats()).every((chat) => chat.updatedAt >= chat.leaseExpiresAt),
    'each only after its lease had expired'
  )
  t.same(
    await ledgerReasonsPerChat(state),
    requests.map(() => 'chat,refund')
  )
  t.same(
    await balances(state),
    users.map(() => 4000)
  )
  t.same(await state.ledgerMismatches(), [])

  const [first] = requests
  const retry = await post(b.baseUrl, '/api/chat_msg/', { message: first!.message }, first!.headers)
  t.equal(retry.status, 201, 'a retry with the same Idempotency-Key runs afresh on B')
  t.equal(retry.headers.get('idempotent-replayed'), null)
  t.equal((await balances(state))[0], 3900, 'and is charged once')
  t.same(await state.ledgerMismatches(), [])
})
