import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { DEFAULT_ANSWER, FAKE_MODEL, FakeOpenAi, USAGE } from './fake-openai.js'
import { build, signUp } from './helper.js'
import { ask, collect, setup } from './openai-provider-setup.js'

t.test('a call without an API key sends no Authorization header; with one, a bearer token', async (t) => {
  const keyless = await setup(t)
  const keyed = await setup(t, { apiKey: 'sk-test' })

  await keyless.provider.complete(ask())
  await keyed.provider.complete(ask())

  t.notOk('authorization' in keyless.fake.received[0]!.headers)
  t.equal(keyed.fake.received[0]!.headers.authorization, 'Bearer sk-test')
  t.equal(keyed.fake.received[0]!.headers['content-type'], 'application/json')
})

t.test('the call goes to the base URL’s path and /chat/completions, with or without a trailing slash', async (t) => {
  const cases = [
    [(url: string) => url, '/v1/chat/completions'],
    [(url: string) => `${url}/`, '/v1/chat/completions'],
    [(url: string) => url.replace(/\/v1$/, ''), '/chat/completions'],
    [(url: string) => url.replace(/v1$/, ''), '/chat/completions']
  ] as const
  for (const [urlOf, path] of cases) {
    const { fake, provider } = await setup(t, {}, urlOf)
    await provider.complete(ask())
    t.equal(fake.received[0]!.url, path, urlOf(fake.baseUrl))
  }
})

t.test('the body holds the sampling, model, messages and max_tokens, and says whether to stream', async (t) => {
  const { fake, provider } = await setup(t)
  const request = ask({ maxTokens: 64, sampling: { temperature: 0.5, user: 'alice' } })

  await provider.complete(request)
  await collect(provider.stream(request))

  const expected = { temperature: 0.5, user: 'alice', model: 'fake-model', messages: request.messages, max_tokens: 64 }
  t.same(fake.received[0]!.body, { ...expected, stream: false })
  t.same(fake.received[1]!.body, { ...expected, stream: true, stream_options: { include_usage: true } })
})

t.test('a whole reply is read with its model, usage and finish reason', async (t) => {
  const { provider } = await setup(t)

  const reply = await provider.complete(ask())

  t.same(reply, {
    text: DEFAULT_ANSWER,
    model: FAKE_MODEL,
    usage: { promptTokens: USAGE.prompt_tokens, cachedTokens: 0, completionTokens: USAGE.completion_tokens },
    finishReason: 'stop'
  })
})

t.test('a 429 is rate_limited with the Retry-After seconds, when the server gives them', async (t) => {
  const { fake, provider } = await setup(t)
  fake.next({ kind: 'fail', status: 429, headers: { 'retry-after': '7' } }, { kind: 'fail', status: 429 })

  await t.rejects(provider.complete(ask()), { name: 'AiProviderError', kind: 'rate_limited', retryAfterSeconds: 7 })
  const error = await provider.complete(ask()).catch((error: unknown) => error)
  t.match(error, { kind: 'rate_limited', retryAfterSeconds: undefined })
})

t.test('another status is an error naming the status and what the server said', async (t) => {
  const { fake, provider } = await setup(t)
  fake.next(
    { kind: 'fail', status: 500 },
    { kind: 'raw', status: 502, pieces: ['Bad Gateway'] },
    { kind: 'raw', status: 503, pieces: [] },
    { kind: 'fail', status: 400 }
  )

  await t.rejects(provider.complete(ask()), { kind: 'error', message: '500 scripted 500' })
  await t.rejects(provider.complete(ask()), { kind: 'error', message: '502 Bad Gateway' })
  await t.rejects(provider.complete(ask()), { kind: 'error', message: '503 status code (no body)' })
  await t.rejects(collect(provider.stream(ask())), { kind: 'error', message: '400 scripted 400' })
})

t.test('a reply that is not JSON, or not an object, is an error', async (t) => {
  const { fake, provider } = await setup(t)
  fake.next({ kind: 'raw', status: 200, pieces: ['{"choices": ['] }, { kind: 'raw', status: 200, pieces: ['null'] })

  await t.rejects(provider.complete(ask()), { kind: 'error', message: /^the AI provider sent malformed JSON/ })
  await t.rejects(provider.complete(ask()), { kind: 'error', message: /^the AI provider sent JSON that is no object/ })
})

t.test('a model that does not answer within the time limit is a timeout, whole or streamed', async (t) => {
  const { fake, provider } = await setup(t, { timeoutMs: 200 })
  fake.next({ kind: 'stall' }, { kind: 'stall' })

  await t.rejects(provider.complete(ask()), { kind: 'timeout', message: 'the AI provider did not answer in time' })
  await t.rejects(collect(provider.stream(ask())), { name: 'AiProviderError', kind: 'timeout' })
})

t.test('aborting the request’s signal aborts the call to the model', async (t) => {
  const { fake, provider } = await setup(t)
  fake.next({ kind: 'stall' })
  const controller = new AbortController()

  const reply = provider.complete(ask({ signal: controller.signal }))
  while (fake.received.length === 0) await sleep(5)
  controller.abort()

  await t.rejects(reply, { name: 'AiProviderError', kind: 'error' })
  await fake.received[0]!.aborted
})

t.test('connections are kept alive after a call, until the provider is closed', async (t) => {
  const { fake, provider } = await setup(t)

  await provider.complete(ask())
  await collect(provider.stream(ask()))
  t.ok((await fake.openConnections()) > 0)
  await provider.close()

  await waitForNoConnections(fake)
})

t.test('the app closes the provider it made, and with it the connections to the model', async (t) => {
  const fake = await FakeOpenAi.start(t)
  const { app } = await build(t, { AI_PROVIDER: 'openai', AI_BASE_URL: fake.baseUrl, AI_MODEL: 'fake-model' })
  const { headers } = await signUp(app)
  const chat = await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'Hello' } })
  t.equal(chat.statusCode, 201)
  t.ok((await fake.openConnections()) > 0)

  await app.close()

  await waitForNoConnections(fake)
})

async function waitForNoConnections(fake: FakeOpenAi) {
  while ((await fake.openConnections()) > 0) await sleep(5)
}
