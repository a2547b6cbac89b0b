import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { AiProvider } from '../src/ai/provider.js'
import type { App } from '../src/app.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'

const KEY = '3f2b8c1e-6a4d-4e9b-9c1a-7d2e5f8b0a13'

function chat(app: App, headers: Record<string, string>, message: string, key = KEY, accept?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: { ...headers, 'idempotency-key': key, ...(accept ? { accept } : {}) },
    payload: { message }
  })
}

async function balanceOf(app: App, headers: Record<string, string>) {
  return (await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })).json().tokens
}

const slowProvider = providerFrom('slow', async () => {
  await sleep(30)
  return { text: 'a considered answer', model: 'slow', usage: null }
})

t.test('a retry with the same key and body replays the first answer and charges nothing more', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)

  const first = await chat(app, headers, 'hello')
  const retry = await chat(app, headers, 'hello')

  t.equal(first.statusCode, 201)
  t.equal(first.headers['idempotent-replayed'], undefined)
  t.equal(retry.statusCode, 201)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.match(retry.headers['content-type'], /^application\/json/)
  t.same(retry.json(), first.json())
  t.equal(await balanceOf(app, headers), 3900)
  t.equal(await state.countChats(), 1)
})

t.test('the same key with a different body is 422 and charges nothing', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  await chat(app, headers, 'hello')

  const response = await chat(app, headers, 'something else')

  assertProblem(t, response, { status: 422, code: 'idempotency_key_reused', instance: '/api/chat_msg/' })
  t.equal(await balanceOf(app, headers), 3900)
  t.equal(await state.countChats(), 1)
})

t.test('the body fingerprint ignores the order of properties', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const first = await chat(app, headers, 'hello')
  const conversationId = first.json().conversation_id
  const payloads = [
    { message: 'next', conversation_id: conversationId },
    { conversation_id: conversationId, message: 'next' }
  ]
  const [a, b] = await Promise.all(
    payloads.map(async (payload, index) => {
      if (index === 1) await sleep(100)
      return app.inject({
        method: 'POST',
        url: '/api/chat_msg/',
        headers: { ...headers, 'idempotency-key': 'order' },
        payload
      })
    })
  )
  t.equal(a!.statusCode, 201)
  t.equal(b!.headers['idempotent-replayed'], 'true')
})

t.test('20 simultaneous requests with one key charge exactly once', async (t) => {
  const { app, state } = await build(t, {}, { provider: slowProvider })
  const { headers } = await signUp(app)

  const responses = await Promise.all(Array.from({ length: 20 }, () => chat(app, headers, 'hello')))

  const executed = responses.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined)
  t.equal(executed.length, 1, 'one request ran')
  for (const response of responses.filter((r) => !executed.includes(r))) {
    if (response.statusCode === 409) t.equal(response.json().code, 'idempotency_key_in_use')
    else t.equal(response.headers['idempotent-replayed'], 'true')
  }
  t.equal(await balanceOf(app, headers), 3900)
  t.equal(await state.countChats(), 1)
  t.same(await state.ledgerMismatches(), [])
})

t.test('a retry after a refunded provider failure runs afresh', async (t) => {
  let failures = 1
  const flaky = providerFrom('flaky', async () => {
    if (failures-- > 0) throw new Error('model down')
    return { text: 'back again', model: 'flaky', usage: null }
  })
  const { app } = await build(t, {}, { provider: flaky })
  const { headers } = await signUp(app)

  const first = await chat(app, headers, 'hello')
  const retry = await chat(app, headers, 'hello')

  t.equal(first.statusCode, 502)
  t.equal(first.json().refunded, true)
  t.equal(retry.statusCode, 201)
  t.equal(retry.headers['idempotent-replayed'], undefined)
  t.equal(retry.json().response, 'back again')
  t.equal(await balanceOf(app, headers), 3900)
})

t.test('a retry after a refused charge (402) runs afresh', async (t) => {
  const { app } = await build(t, { INITIAL_TOKENS: '50' })
  const { headers } = await signUp(app)
  t.equal((await chat(app, headers, 'hello')).statusCode, 402)
  t.equal((await chat(app, headers, 'hello')).statusCode, 402, 'not a replay: the request ran again')
})

t.test('keys are scoped to the user', async (t) => {
  const { app } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')

  await chat(app, alice.headers, 'hello')
  const bobs = await chat(app, bob.headers, 'something else')

  t.equal(bobs.statusCode, 201)
  t.equal(bobs.headers['idempotent-replayed'], undefined)
  t.equal(await balanceOf(app, bob.headers), 3900)
})

t.test('a streamed answer is replayed as one done event', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)

  const first = await chat(app, headers, 'hello', KEY, 'text/event-stream')
  const retry = await chat(app, headers, 'hello', KEY, 'text/event-stream')

  t.equal(retry.headers['idempotent-replayed'], 'true')
  const done = (body: string) => JSON.parse(/event: done\ndata: (.*)\n/.exec(body)![1]!)
  t.same(done(retry.body), done(first.body))
  t.equal(await balanceOf(app, headers), 3900)
})

t.test('a stream that broke after some text is charged once and its error replayed', async (t) => {
  const breaking: AiProvider = {
    ...providerFrom('breaking', async () => ({ text: 'unused', model: 'x', usage: null })),
    async *stream() {
      yield { type: 'delta', text: 'Once ' }
      throw new Error('connection reset')
    }
  }
  const { app } = await build(t, {}, { provider: breaking })
  const { headers } = await signUp(app)

  await chat(app, headers, 'hello', KEY, 'text/event-stream')
  const retry = await chat(app, headers, 'hello')

  assertProblem(t, retry, {
    status: 502,
    code: 'upstream_error',
    instance: '/api/chat_msg/',
    extensions: { refunded: false }
  })
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(await balanceOf(app, headers), 3900)
})

t.test('a key expires after 24 hours', async (t) => {
  const { app } = await build(t)
  const scope = { userId: 1, operation: 'test', key: KEY }
  await signUp(app)
  const now = Date.now()
  const day = 24 * 60 * 60 * 1000
  t.same(await app.store.beginIdempotentRequest({ ...scope, requestHash: 'a', expiredBefore: now - day, now }), {
    state: 'claimed'
  })
  t.same(await app.store.beginIdempotentRequest({ ...scope, requestHash: 'b', expiredBefore: now - day, now }), {
    state: 'mismatch'
  })
  const later = now + day + 1
  t.same(
    await app.store.beginIdempotentRequest({ ...scope, requestHash: 'b', expiredBefore: later - day, now: later }),
    {
      state: 'claimed'
    }
  )
  t.equal(await app.store.purgeIdempotencyKeys(later + 1), 1)
})

for (const [name, key] of [
  ['too long', 'k'.repeat(256)],
  ['not printable ASCII', 'ключ']
]) {
  t.test(`an Idempotency-Key that is ${name} is 400`, async (t) => {
    const { app } = await build(t)
    const { headers } = await signUp(app)
    const response = await chat(app, headers, 'hello', key)
    t.equal(response.statusCode, 400)
    t.equal(response.json().errors[0].location, 'headers')
    t.equal(await balanceOf(app, headers), 4000)
  })
}
