import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { collectEvents, openRawStream } from './event-stream-client.js'
import { DEFAULT_ANSWER, FAKE_MODEL, FakeOpenAi, USAGE } from './fake-openai.js'
import { assertProblem, build, signUp } from './helper.js'
import type { ChatRow, StoredState } from './stored-state.js'

/** The app on a fake OpenAI-compatible model, and a signed-up user with 4000 tokens. */
async function setup(t: Test, env: Record<string, string> = {}) {
  const fake = await FakeOpenAi.start(t)
  const built = await build(t, {
    AI_PROVIDER: 'openai',
    AI_BASE_URL: fake.baseUrl,
    AI_MODEL: 'fake-model',
    AI_TIMEOUT_MS: '2000',
    ...env
  })
  const user = await signUp(built.app)
  return { ...built, ...user, fake }
}

function chat(app: App, headers: Record<string, string>, message = 'What is the capital of France?') {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message } })
}

/** Sends a chat asking for Server-Sent Events over real HTTP; the app listens on a free port at its first call. */
async function streamChat(app: App, access: string, signal?: AbortSignal) {
  const baseUrl = listening.get(app) ?? (await app.listen({ port: 0, host: '127.0.0.1' }))
  listening.set(app, baseUrl)
  return fetch(`${baseUrl}/api/chat_msg/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ message: 'Tell me a story' }),
    signal
  })
}

const listening = new WeakMap<App, string>()

async function balanceOf(app: App, headers: Record<string, string>) {
  return (await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })).json().tokens
}

async function storedChat(state: StoredState) {
  const [{ status, response, failureReason, model, upstreamModel, promptTokens, completionTokens }] =
    (await state.chats()) as [ChatRow]
  return { status, response, failureReason, model, upstreamModel, promptTokens, completionTokens }
}

async function chatLedger(state: StoredState) {
  return (await state.ledger()).filter((row) => row.reason !== 'signup').map(({ reason, delta }) => ({ reason, delta }))
}

const CHARGED = [{ reason: 'chat', delta: -100 }]
const REFUNDED = [
  { reason: 'chat', delta: -100 },
  { reason: 'refund', delta: 100 }
]

async function waitUntilSettled(state: StoredState) {
  while ((await state.countChats('pending')) > 0) await sleep(5)
}

t.test('a reply from the model is charged and stored with its usage and model', async (t) => {
  const { app, state, headers, fake } = await setup(t)

  const response = await chat(app, headers)

  t.equal(response.statusCode, 201)
  t.match(response.json(), {
    response: DEFAULT_ANSWER,
    status: 'completed',
    model: 'fake-model',
    upstream_model: FAKE_MODEL,
    usage: { prompt_tokens: USAGE.prompt_tokens, cached_tokens: 0, completion_tokens: USAGE.completion_tokens },
    usage_source: 'provider',
    remaining_tokens: 3900
  })
  t.equal(await balanceOf(app, headers), 3900)
  t.match(await storedChat(state), {
    status: 'completed',
    response: DEFAULT_ANSWER,
    model: 'fake-model',
    upstreamModel: FAKE_MODEL,
    promptTokens: USAGE.prompt_tokens,
    completionTokens: USAGE.completion_tokens
  })
  t.same(await chatLedger(state), CHARGED)
  t.same(await state.ledgerMismatches(), [])
  t.match(fake.received[0]!.body, { model: 'fake-model', stream: false })
})

t.test('AI_MAX_OUTPUT_TOKENS is sent to the model as max_tokens', async (t) => {
  const { app, headers, fake } = await setup(t, { AI_MAX_OUTPUT_TOKENS: '256' })
  await chat(app, headers)
  t.equal(fake.received[0]!.body.max_tokens, 256)
})

const refundedFailures = [
  {
    name: 'a 500 from the model',
    script: { kind: 'fail', status: 500 } as const,
    status: 502,
    code: 'upstream_error'
  },
  {
    name: 'a model that stalls past the time limit',
    script: { kind: 'stall' } as const,
    status: 504,
    code: 'upstream_timeout',
    env: { AI_TIMEOUT_MS: '300' }
  },
  {
    name: 'a 429 from the model',
    script: { kind: 'fail', status: 429, headers: { 'retry-after': '7' } } as const,
    status: 503,
    code: 'upstream_busy',
    retryAfter: '7'
  }
]

for (const failure of refundedFailures) {
  t.test(`${failure.name} is refunded and answered ${failure.status} ${failure.code}`, async (t) => {
    const { app, state, headers, fake } = await setup(t, failure.env)
    fake.next(failure.script)

    const response = await chat(app, headers)

    assertProblem(t, response, {
      status: failure.status,
      code: failure.code,
      instance: '/api/chat_msg/',
      extensions: { refunded: true }
    })
    if (failure.retryAfter) t.equal(response.headers['retry-after'], failure.retryAfter)
    t.equal(await balanceOf(app, headers), 4000)
    t.match(await storedChat(state), { status: 'failed', response: null, failureReason: /provider error/ })
    t.same(await chatLedger(state), REFUNDED)
    t.same(await state.ledgerMismatches(), [])
  })
}

t.test('a model server that refuses the connection is refunded and answered 502', async (t) => {
  const { app, state, headers } = await setup(t, { AI_BASE_URL: 'http://127.0.0.1:9/v1' })

  const response = await chat(app, headers)

  assertProblem(t, response, {
    status: 502,
    code: 'upstream_error',
    instance: '/api/chat_msg/',
    extensions: { refunded: true }
  })
  t.equal(await balanceOf(app, headers), 4000)
  t.same(await chatLedger(state), REFUNDED)
})

t.test('a streamed reply arrives as deltas and one done event equal to the plain answer', async (t) => {
  const { app, state, access, fake } = await setup(t)
  fake.next({ kind: 'stream', chunks: ['Once ', 'upon ', 'a time.'], delayMs: 10 })

  const response = await streamChat(app, access)
  const events = await collectEvents(response)

  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/event-stream/)
  t.same(
    events.slice(0, 3),
    ['Once ', 'upon ', 'a time.'].map((text) => ({ event: 'delta', data: { text } }))
  )
  t.equal(events.length, 4)
  const done = events[3]!
  t.equal(done.event, 'done')
  const chatId = (done.data as { id: number }).id
  const plain = await app.inject({
    method: 'GET',
    url: `/api/chats/${chatId}/`,
    headers: { authorization: `Bearer ${access}` }
  })
  t.same(done.data, { ...plain.json(), remaining_tokens: 3900 })
  t.match(done.data, {
    response: 'Once upon a time.',
    status: 'completed',
    usage: { prompt_tokens: USAGE.prompt_tokens }
  })
  t.match(fake.received[0]!.body, { stream: true })
  t.same(await chatLedger(state), CHARGED)
})

t.test('a stream that breaks after some text is charged and stored as incomplete', async (t) => {
  const { app, state, access, headers, fake } = await setup(t)
  fake.next({ kind: 'reset-after', chunks: ['Once ', 'upon '] })

  const events = await collectEvents(await streamChat(app, access))

  t.same(
    events.slice(0, 2).map((event) => event.event),
    ['delta', 'delta']
  )
  t.match(events.at(-1), { event: 'error', data: { code: 'upstream_error', refunded: false, status: 502 } })
  t.match(await storedChat(state), { status: 'incomplete', response: 'Once upon ' })
  t.equal(await balanceOf(app, headers), 3900)
  t.same(await chatLedger(state), CHARGED)
  const history = await app.inject({ method: 'GET', url: '/api/chats/', headers })
  t.match(history.json().items, [{ status: 'incomplete', response: 'Once upon ', cost: 100 }])
})

t.test('a stream that goes quiet after some text times out as incomplete and charged', async (t) => {
  const { app, state, access, fake } = await setup(t, { AI_TIMEOUT_MS: '300' })
  fake.next({ kind: 'stall-after', chunks: ['Once '] })

  const events = await collectEvents(await streamChat(app, access))

  t.match(events.at(-1), { event: 'error', data: { code: 'upstream_timeout', refunded: false } })
  t.match(await storedChat(state), { status: 'incomplete', response: 'Once ' })
  t.same(await chatLedger(state), CHARGED)
})

/** Opens a streamed chat on a connection the test can cut; the app listens on a free port. */
async function rawStreamChat(app: App, access: string) {
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
  return openRawStream(
    `${baseUrl}/api/chat_msg/`,
    { authorization: `Bearer ${access}`, accept: 'text/event-stream' },
    {
      message: 'Tell me a story'
    }
  )
}

t.test('a client that disconnects before any text is refunded and the model request is aborted', async (t) => {
  const { app, state, access, fake } = await setup(t)
  fake.next({ kind: 'stall' })

  const stream = await rawStreamChat(app, access)
  t.equal(stream.status, 200)
  while (fake.received.length === 0) await sleep(5)
  stream.disconnect()
  await fake.received[0]!.aborted
  await waitUntilSettled(state)

  t.match(await storedChat(state), { status: 'failed', failureReason: /client disconnected/ })
  t.same(await chatLedger(state), REFUNDED)
  t.same(await state.ledgerMismatches(), [])
})

t.test('a client that disconnects after some text is charged and the chat stored as incomplete', async (t) => {
  const { app, state, access, fake } = await setup(t)
  fake.next({ kind: 'stall-after', chunks: ['Once '] })

  const stream = await rawStreamChat(app, access)
  t.match(await stream.textUntil('event: delta'), 'data: {"text":"Once "}')
  stream.disconnect()
  await fake.received[0]!.aborted
  await waitUntilSettled(state)

  t.match(await storedChat(state), { status: 'incomplete', response: 'Once ' })
  t.same(await chatLedger(state), CHARGED)
})

t.test('replies in flight beyond AI_MAX_CONCURRENT_PER_USER are refused with 429 and cost nothing', async (t) => {
  const { app, state, headers, fake } = await setup(t, { AI_MAX_CONCURRENT_PER_USER: '2', AI_TIMEOUT_MS: '300' })
  fake.next({ kind: 'stall' }, { kind: 'stall' })
  const inFlight = [chat(app, headers, 'one'), chat(app, headers, 'two')]
  while (fake.received.length < 2) await sleep(5)

  const refused = await chat(app, headers, 'three')

  assertProblem(t, refused, { status: 429, code: 'too_many_chats_in_flight', instance: '/api/chat_msg/' })
  t.equal(await state.countChats(), 2, 'the refused message left no chat row')
  t.equal(await balanceOf(app, headers), 3800, 'only the two in flight are reserved')
  t.same(
    (await Promise.all(inFlight)).map((response) => response.statusCode),
    [504, 504]
  )
})

t.test('parallel chats against a slow model never overspend and leave nothing pending', async (t) => {
  const { app, state, headers, fake } = await setup(t, { INITIAL_TOKENS: '1000', AI_MAX_CONCURRENT_PER_USER: '100' })
  fake.next(...Array.from({ length: 30 }, () => ({ kind: 'answer', text: 'a slow reply', delayMs: 20 }) as const))

  const responses = await Promise.all(Array.from({ length: 30 }, (_, index) => chat(app, headers, `message ${index}`)))

  const statuses = responses.map((response) => response.statusCode).sort()
  t.same(statuses, [...Array(10).fill(201), ...Array(20).fill(402)])
  t.equal(await balanceOf(app, headers), 0)
  t.equal(await state.countChats('pending'), 0)
  t.equal(await state.countChats('completed'), 10)
  t.same(await state.ledgerMismatches(), [])
})
