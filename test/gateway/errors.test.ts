import OpenAI from 'openai'
import t from 'tap'
import { balanceOf, chatLedger, SMALL } from '../metering-setup.js'
import { gatewaySetup } from './setup.js'

const ask = { model: 'small', messages: [{ role: 'user' as const, content: 'What is the capital of France?' }] }

/** The error a call is refused with, as the SDK throws it. */
async function refusal(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error
    throw error
  }
  throw new Error('the call was not refused')
}

t.test('a bearer token that is neither a live key nor an access token is 401 invalid_api_key', async (t) => {
  const { client } = await gatewaySetup(t)

  for (const token of ['sk-acp-unknown', 'not-a-token']) {
    const error = await refusal(client(token).chat.completions.create(ask))
    t.ok(error instanceof OpenAI.AuthenticationError, token)
    t.equal(error.status, 401)
    t.match(error.error, { code: 'invalid_api_key', type: 'authentication_error', param: null })
  }
})

t.test('a request without Authorization is 401 in OpenAI’s shape, never problem+json', async (t) => {
  const { baseUrl } = await gatewaySetup(t)

  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ask)
  })

  t.equal(response.status, 401)
  t.match(response.headers.get('content-type'), /^application\/json/)
  t.equal(response.headers.get('www-authenticate'), 'Bearer')
  t.match(await response.json(), { error: { code: 'invalid_api_key', message: String } })
})

t.test('an unknown parameter is refused, naming it, and nothing is charged', async (t) => {
  const { app, access, headers, client, state } = await gatewaySetup(t)
  const before = await balanceOf(app, headers)

  const error = await refusal(client(access).chat.completions.create({ ...ask, tools: [] } as never))

  t.equal(error.status, 400)
  t.match(error.error, { type: 'invalid_request_error', code: 'unsupported_parameter', param: 'tools' })
  t.equal(await balanceOf(app, headers), before)
  t.same(await chatLedger(state), [])
})

t.test('an invalid value is 400 naming the parameter in OpenAI’s notation', async (t) => {
  const { access, client } = await gatewaySetup(t)

  const role = await refusal(
    client(access).chat.completions.create({ ...ask, messages: [{ role: 'tool', content: 'x' }] } as never)
  )
  t.equal(role.status, 400)
  t.match(role.error, { code: 'invalid_value', param: 'messages[0].role' })

  const missing = await refusal(client(access).chat.completions.create({ model: 'small' } as never))
  t.match(missing.error, { code: 'missing_required_parameter', param: 'messages' })
})

t.test('max_tokens past the model’s own limit is 400; both token limits must agree', async (t) => {
  const { access, client } = await gatewaySetup(t)

  const tooMany = await refusal(client(access).chat.completions.create({ ...ask, max_tokens: SMALL.maxTokens + 1 }))
  t.equal(tooMany.status, 400)
  t.match(tooMany.error, { param: 'max_tokens', message: /at most 1024 for small/ })

  const disagree = await refusal(
    client(access).chat.completions.create({ ...ask, max_tokens: 10, max_completion_tokens: 20 })
  )
  t.match(disagree.error, { param: 'max_tokens' })
})

t.test('a model that is not offered is 400 model_not_found', async (t) => {
  const { access, client } = await gatewaySetup(t)

  const error = await refusal(client(access).chat.completions.create({ ...ask, model: 'gpt-5' }))

  t.equal(error.status, 400)
  t.match(error.error, { type: 'invalid_request_error', code: 'model_not_found', param: 'model', message: /gpt-5/ })
})

t.test('a balance that cannot cover the call is 429 insufficient_quota, which the SDK does not retry', async (t) => {
  const { app, access, headers, client, fake, state } = await gatewaySetup(t)
  const delta = -(await balanceOf(app, headers))
  await app.store.adjustBalance({ usernameKey: 'alice', delta, actorId: null, note: 'spent', now: Date.now() })

  const error = await refusal(client(access, { maxRetries: 2 }).chat.completions.create(ask))

  t.ok(error instanceof OpenAI.RateLimitError)
  t.match(error.error, { type: 'insufficient_quota', code: 'insufficient_quota', balance: Number, cost: Number })
  t.equal(error.headers?.get('x-should-retry'), 'false')
  t.equal(fake.received.length, 0, 'the model was never called')
  t.notOk((await chatLedger(state)).some((row) => row.reason === 'chat'))
})

t.test('a failing upstream is 502 with the call refunded', async (t) => {
  const { app, access, headers, client, fake, state } = await gatewaySetup(t)
  fake.next({ kind: 'fail', status: 500 })
  const before = await balanceOf(app, headers)

  const error = await refusal(client(access).chat.completions.create(ask))

  t.equal(error.status, 502)
  t.match(error.error, { type: 'server_error', code: 'upstream_error', refunded: true })
  t.equal(await balanceOf(app, headers), before, 'the hold came back')
  t.same(
    (await chatLedger(state)).map((row) => row.reason),
    ['chat', 'refund']
  )
})

t.test('an upstream that breaks off mid-stream ends the stream with an error the SDK throws', async (t) => {
  const { access, client, fake } = await gatewaySetup(t, { AI_TIMEOUT_MS: '300' })
  fake.next({ kind: 'stall-after', chunks: ['Par'] })

  const stream = await client(access).chat.completions.create({ ...ask, stream: true })
  const received: string[] = []
  const error = await refusal(
    (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '')
    })()
  )

  t.equal(received.join(''), 'Par')
  t.match(error.error, { code: 'upstream_timeout', refunded: false })
})

t.test('an unknown /v1 route is 404 in OpenAI’s shape', async (t) => {
  const { baseUrl, access } = await gatewaySetup(t)

  const response = await fetch(`${baseUrl}/v1/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
    body: '{}'
  })

  t.equal(response.status, 404)
  t.match(await response.json(), { error: { code: 'not_found', type: 'invalid_request_error' } })
})

t.test('a known /v1 path with another method is 405 in OpenAI’s shape, with Allow', async (t) => {
  const { app, headers } = await gatewaySetup(t)

  const response = await app.inject({ method: 'GET', url: '/v1/chat/completions', headers })

  t.equal(response.statusCode, 405)
  t.equal(response.headers.allow, 'POST')
  t.match(response.json(), { error: { code: 'method_not_allowed', type: 'invalid_request_error' } })
})
