import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { FakeOpenAi } from './fake-openai.js'
import { instancePairCanRun, startInstancePair } from './instance-pair.js'
import { chat, ledgerReasonsPerChat, post, signUpOn, type Headers } from './process-requests.js'
import type { StoredState } from './stored-state.js'

const CHATS = 500
/** INITIAL_TOKENS / CHAT_COST, both at their defaults. */
const AFFORDABLE = 4000 / 100
const IN_FLIGHT_CAP = 4

type Answer = Awaited<ReturnType<typeof chat>>

function countBy(answers: Answer[]) {
  const counts: Record<string, number> = {}
  for (const { status, body } of answers) {
    const key = status === 201 ? '201' : `${status} ${body.code}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** Sends `count` chats for one user at once, alternating between the instances, beginning with the first. */
function chatsAcross(baseUrls: string[], headers: Headers, count: number) {
  return Array.from({ length: count }, (_, index) => chat(baseUrls[index % baseUrls.length]!, headers, `chat ${index}`))
}

async function assertBalance(t: Test, state: StoredState, username: string, expected: number) {
  t.equal((await state.user(username)).tokens, expected, `${username}'s stored balance`)
  t.same(await state.ledgerMismatches(), [], 'the balance is the sum of the ledger')
}

if (instancePairCanRun('two-instance tests')) {
  t.test('two instances on one database and one Redis', async (t) => {
    // Limits so loose that only the balance can refuse a chat: a cap or a window reached first would refuse chats
    // the balance could still pay for, and prove nothing about the money.
    const { a, b, state } = await startInstancePair(t, {
      RATE_LIMIT: 'on',
      RATE_LIMIT_CHATS: String(CHATS),
      AI_MAX_CONCURRENT_PER_USER: String(CHATS),
      // Two hashes per account and instance would refuse simultaneous logins (503 server_busy) before they are counted.
      ARGON2_PER_ACCOUNT: '20'
    })
    const urls = [a.baseUrl, b.baseUrl]

    t.test('500 simultaneous chats for a 4000-token user are answered exactly 40 times', async (t) => {
      const headers = await signUpOn(a.baseUrl, 'spender')
      const started = Date.now()
      const answers = await Promise.all(chatsAcross(urls, headers, CHATS))
      t.comment(
        `${CHATS} chats across two instances took ${Date.now() - started} ms: ${JSON.stringify(countBy(answers))}`
      )

      const answered = answers.filter(({ status }) => status === 201)
      t.equal(answered.length, AFFORDABLE)
      t.same(
        answered.map(({ body }) => body.remaining_tokens).sort((x, y) => x - y),
        Array.from({ length: AFFORDABLE }, (_, index) => index * 100),
        'each answer saw a different balance left'
      )
      const refused = answers.filter(({ status }) => status !== 201)
      t.ok(
        refused.every(
          ({ status, body }) =>
            (status === 402 && body.code === 'insufficient_tokens') ||
            (status === 429 && ['rate_limited', 'too_many_chats_in_flight'].includes(body.code))
        ),
        'every other chat was refused as unaffordable or limited'
      )
      await assertBalance(t, state, 'spender', 0)
      t.same(
        await ledgerReasonsPerChat(state),
        answered.map(() => 'chat'),
        'one charge per answered chat, none refunded'
      )
      t.equal(await state.countChats('completed'), AFFORDABLE)
      t.equal(await state.countChats(), AFFORDABLE, 'none pending, none failed')
    })

    t.test('20 failed logins in turn on A and B are refused from the 11th on', async (t) => {
      await signUpOn(a.baseUrl, 'guarded')
      const statuses: number[] = []
      const codes = new Set<string>()
      for (let attempt = 0; attempt < 20; attempt++) {
        const response = await post(urls[attempt % 2]!, '/api/login/', { username: 'guarded', password: 'wrong guess' })
        statuses.push(response.status)
        codes.add(`${response.status} ${(await response.json()).code}`)
      }
      t.same(statuses, [...Array(10).fill(401), ...Array(10).fill(429)])
      t.same([...codes].sort(), ['401 invalid_credentials', '429 rate_limited'])
    })

    t.test('20 failed logins at once across A and B: 10 are tried and fail, 10 are refused', async (t) => {
      await signUpOn(a.baseUrl, 'rushed')
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, attempt) =>
          post(urls[attempt % 2]!, '/api/login/', { username: 'rushed', password: 'wrong guess' })
        )
      )
      const answers = await Promise.all(
        responses.map(async (response) => ({ status: response.status, body: await response.json() }))
      )
      t.same(countBy(answers), { '401 invalid_credentials': 10, '429 rate_limited': 10 })
    })
  })

  t.test('the in-flight cap holds across both instances', async (t) => {
    const fake = await FakeOpenAi.start(t)
    const { a, b, state } = await startInstancePair(t, {
      AI_PROVIDER: 'openai',
      AI_BASE_URL: fake.baseUrl,
      AI_MODEL: 'fake',
      AI_MAX_CONCURRENT_PER_USER: String(IN_FLIGHT_CAP)
    })
    const sent = 3 * IN_FLIGHT_CAP
    fake.next(...Array.from({ length: sent }, () => ({ kind: 'hold' as const, text: 'held answer' })))
    const headers = await signUpOn(a.baseUrl, 'eager')
    const settled: Answer[] = []
    const answers = chatsAcross([a.baseUrl, b.baseUrl], headers, sent).map((answer) =>
      answer.then((settledAnswer) => (settled.push(settledAnswer), settledAnswer))
    )
    // Each chat is refused at once or reaches the model, which holds it.
    while (settled.length + fake.received.length < sent) await sleep(10)

    t.equal(fake.received.length, IN_FLIGHT_CAP, 'exactly the cap reached the model')
    t.same(countBy(settled), { '429 too_many_chats_in_flight': sent - IN_FLIGHT_CAP })
    fake.releaseHeld()
    t.same(countBy(await Promise.all(answers)), {
      '201': IN_FLIGHT_CAP,
      '429 too_many_chats_in_flight': sent - IN_FLIGHT_CAP
    })
    await assertBalance(t, state, 'eager', 4000 - IN_FLIGHT_CAP * 100)
    t.same(await ledgerReasonsPerChat(state), Array(IN_FLIGHT_CAP).fill('chat'))
  })
}
