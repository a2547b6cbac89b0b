import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { AiReply } from '../src/ai/provider.js'
import type { App } from '../src/app.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

type Headers = Record<string, string>

const INTERNAL_DETAIL = 'model overloaded at 10.0.0.7'

const throwingProvider = providerFrom('throwing', async () => {
  throw new Error(INTERNAL_DETAIL)
})

/** Holds every reply until the test releases it; unreleased replies never arrive. */
function gatedProvider() {
  const waiting: Array<(reply: AiReply) => void> = []
  return {
    ...providerFrom('gated', () => new Promise((resolve) => waiting.push(resolve))),
    release(text: string) {
      for (const resolve of waiting.splice(0)) resolve({ text, model: 'gated', usage: null })
    }
  }
}

function sendChat(app: App, headers: Headers, message: string) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message } })
}

async function balanceOf(app: App, headers: Headers): Promise<number> {
  const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  return response.json().tokens
}

async function chatRows(state: StoredState) {
  return (await state.chats()).map(({ id, status, response, failureReason }) => ({
    id,
    status,
    response,
    failureReason
  }))
}

async function ledgerRowsOfChat(state: StoredState, chatId: number) {
  return (await state.ledger())
    .filter((row) => row.chatId === chatId)
    .map(({ reason, delta, balanceAfter }) => ({ reason, delta, balanceAfter }))
}

/** Waits, without a deadline of its own, until the app has reserved a chat; the tap timeout bounds it. */
async function waitForPendingChat(state: StoredState) {
  while ((await state.countChats('pending')) === 0) await sleep(5)
}

/** Builds an app whose provider holds its replies, and sends a message that stays pending until released. */
async function startPendingChat(t: Test, env: Record<string, string> = {}) {
  const provider = gatedProvider()
  const built = await build(t, env, { provider })
  const { headers } = await signUp(built.app)
  const answer = sendChat(built.app, headers, 'hello')
  await waitForPendingChat(built.state)
  return { ...built, provider, headers, answer }
}

t.test('a provider failure answers 502 upstream_error and says the cost was refunded', async (t) => {
  const { app } = await build(t, {}, { provider: throwingProvider })
  const { headers } = await signUp(app)

  const response = await sendChat(app, headers, 'hello')

  assertProblem(t, response, {
    status: 502,
    code: 'upstream_error',
    instance: '/api/chat_msg/',
    extensions: { refunded: true }
  })
  t.notMatch(response.body, INTERNAL_DETAIL, 'the body does not leak the provider’s error')
})

t.test('a provider failure leaves the balance unchanged', async (t) => {
  const { app, state } = await build(t, {}, { provider: throwingProvider })
  const { headers } = await signUp(app)

  await sendChat(app, headers, 'hello')

  t.equal(await balanceOf(app, headers), 4000)
  t.same(await state.ledgerMismatches(), [])
})

t.test(
  'a provider failure leaves a failed chat that records the error, and a chat and a refund ledger row',
  async (t) => {
    const { app, state } = await build(t, {}, { provider: throwingProvider })
    const { headers } = await signUp(app)

    await sendChat(app, headers, 'hello')

    const [chat, ...others] = await chatRows(state)
    t.same(others, [])
    t.match(chat, { status: 'failed', response: null, failureReason: INTERNAL_DETAIL })
    t.same(await ledgerRowsOfChat(state, chat!.id), [
      { reason: 'chat', delta: -100, balanceAfter: 3900 },
      { reason: 'refund', delta: 100, balanceAfter: 4000 }
    ])
    t.same(await state.ledgerMismatches(), [])
  }
)

for (const [name, reply] of [
  ['an empty reply', { text: '', model: 'empty' }],
  ['a reply without text', { model: 'broken' }]
] as const) {
  t.test(`${name} from the provider is refunded like a failure`, async (t) => {
    const provider = providerFrom('broken', async () => reply as AiReply)
    const { app, state } = await build(t, {}, { provider })
    const { headers } = await signUp(app)

    const response = await sendChat(app, headers, 'hello')

    t.equal(response.statusCode, 502)
    t.match(response.json(), { code: 'upstream_error', refunded: true })
    t.equal(await balanceOf(app, headers), 4000)
    t.match(await chatRows(state), [{ status: 'failed', response: null }])
    t.same(await state.ledgerMismatches(), [])
  })
}

t.test('while the provider is still answering, the cost is already reserved on a pending chat', async (t) => {
  const { app, state, provider, headers, answer } = await startPendingChat(t)

  t.equal(await balanceOf(app, headers), 3900)
  t.match(await chatRows(state), [{ status: 'pending', response: null, failureReason: null }])
  t.same(await state.ledgerMismatches(), [])
  provider.release('late reply')
  await answer
})

t.test('a reply that arrives late settles the pending chat', async (t) => {
  const { app, state, provider, headers, answer } = await startPendingChat(t)

  provider.release('late reply')
  const response = await answer

  t.equal(response.statusCode, 201)
  t.match(response.json(), { message: 'hello', response: 'late reply', remaining_tokens: 3900 })
  t.match(await chatRows(state), [{ status: 'completed', response: 'late reply', failureReason: null }])
  t.equal(await balanceOf(app, headers), 3900)
  t.same(await state.ledgerMismatches(), [])
})

t.test('a chat left pending by a stopped process is refunded when the next one starts after its lease', async (t) => {
  const first = await startPendingChat(t, { CHAT_LEASE: '1s' })
  // The reply is never released: the first process stops with the chat still pending.
  await first.app.close()
  const [pending] = await first.state.chats()
  await sleep(pending!.leaseExpiresAt - Date.now() + 1)

  const { app, state } = await build(t, { DATABASE_URL: first.databaseUrl })

  const [chat, ...others] = await chatRows(state)
  t.same(others, [])
  t.match(chat, { status: 'failed', response: null, failureReason: /\S/ })
  t.equal(await state.countChats('pending'), 0)
  t.same(await ledgerRowsOfChat(state, chat!.id), [
    { reason: 'chat', delta: -100, balanceAfter: 3900 },
    { reason: 'refund', delta: 100, balanceAfter: 4000 }
  ])
  t.equal(await balanceOf(app, first.headers), 4000)
  t.same(await state.ledgerMismatches(), [])
})

t.test('the cause of a provider failure is logged at warn with the request id', async (t) => {
  const logged: string[] = []
  const { app } = await build(
    t,
    { LOG_LEVEL: 'warn' },
    { provider: throwingProvider, logStream: { write: (line) => logged.push(line) } }
  )
  const { headers } = await signUp(app)

  await app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: { ...headers, 'x-request-id': 'chat-req-42' },
    payload: { message: 'hello' }
  })

  const lines = logged.map((line) => JSON.parse(line))
  t.match(
    lines.filter((line) => line.reqId === 'chat-req-42' && line.chatId === 1),
    [{ level: 40, reason: `provider error: ${INTERNAL_DETAIL}` }]
  )
})
