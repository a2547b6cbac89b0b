import t from 'tap'
import { setTimeout } from 'node:timers/promises'
import type { App } from '../src/app.js'
import { signUpAdmin } from './admin-helper.js'
import { PASSWORD, build, providerFrom, signUp } from './helper.js'

function listen(app: App): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' })
}

function post(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body)
  })
}

function tally(statuses: number[]) {
  return statuses.reduce<Record<number, number>>(
    (counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }),
    {}
  )
}

const slowProvider = providerFrom('slow', async () => {
  await setTimeout(20)
  return { text: 'a considered answer', model: 'slow', usage: null }
})

/** The per-user in-flight cap would turn most of a 200-request burst into 429s; these tests are about the balance. */
const UNCAPPED = { AI_MAX_CONCURRENT_PER_USER: '1000' }

for (const provider of [undefined, slowProvider]) {
  t.test(
    `200 simultaneous chats on a 4000-token balance charge exactly 40 (${provider?.name ?? 'offline'} provider)`,
    async (t) => {
      const { app, state } = await build(t, UNCAPPED, { provider })
      const { headers } = await signUp(app)
      const baseUrl = await listen(app)

      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          post(baseUrl, '/api/chat_msg/', { message: `message ${index}` }, headers)
        )
      )
      const bodies = await Promise.all(responses.map((response) => response.json()))

      t.same(tally(responses.map((response) => response.status)), { 201: 40, 402: 160 })
      const remaining = bodies.filter((body) => 'remaining_tokens' in body).map((body) => body.remaining_tokens)
      t.same(
        remaining.sort((a, b) => a - b),
        Array.from({ length: 40 }, (_, index) => index * 100),
        'every successful chat saw a distinct balance'
      )
      const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
      t.equal(balance.json().tokens, 0)
      t.equal(await state.countChats('completed'), 40)
      t.equal(await state.countChats(), 40, 'a refused chat leaves no row')
      const history = await app.inject({ method: 'GET', url: '/api/chats/?limit=100', headers })
      t.equal(history.json().items.length, 40)
      t.same(await state.ledgerMismatches(), [])
    }
  )
}

t.test('12 simultaneous registrations of one name in mixed case create exactly one user', async (t) => {
  // The per-account cap on password hashing would answer most of them 503 before they reach the database.
  const { app, state } = await build(t, { ARGON2_PER_ACCOUNT: '12' })
  const baseUrl = await listen(app)
  const spellings = ['bob', 'Bob', 'BOB', 'bOb', 'boB', 'BOb', 'bOB', 'BoB', 'bob', 'Bob', 'BOB', 'bOb']

  const responses = await Promise.all(
    spellings.map((username) => post(baseUrl, '/api/register/', { username, password: PASSWORD }))
  )

  t.same(tally(responses.map((response) => response.status)), { 201: 1, 409: 11 })
  const conflict = await responses.find((response) => response.status === 409)!.json()
  t.equal(conflict.code, 'username_taken')
  t.equal((await state.users()).length, 1)
  t.same(await state.ledgerMismatches(), [])
})

t.test('grants racing chats and their refunds near the limit never let a balance pass 2^53 − 1', async (t) => {
  const failingProvider = providerFrom('failing', async () => {
    await setTimeout(20)
    throw new Error('the model went away')
  })
  const { app, state } = await build(t, UNCAPPED, { provider: failingProvider })
  const { headers } = await signUp(app)
  const admin = await signUpAdmin(app)
  const grantUrl = '/api/admin/users/alice/tokens/'
  const headroom = 1000
  const start = await app.inject({
    method: 'POST',
    url: grantUrl,
    headers: admin.headers,
    payload: { amount: Number.MAX_SAFE_INTEGER - 4000 - headroom }
  })
  t.equal(start.statusCode, 201)
  const baseUrl = await listen(app)

  const chats = Array.from({ length: 10 }, (_, index) =>
    post(baseUrl, '/api/chat_msg/', { message: `message ${index}` }, headers)
  )
  const grants = Array.from({ length: 20 }, () => post(baseUrl, grantUrl, { amount: 100 }, admin.headers))
  const [chatResponses, grantResponses] = await Promise.all([Promise.all(chats), Promise.all(grants)])

  t.same(tally(chatResponses.map((response) => response.status)), { 502: 10 }, 'every chat reserved, then refunded')
  t.same(tally(grantResponses.map((response) => response.status)), { 201: 10, 409: 10 }, 'grants fill the headroom')
  t.equal(await state.countChats('pending'), 0)
  t.same(
    { tokens: (await state.user('alice')).tokens },
    {
      tokens: Number.MAX_SAFE_INTEGER
    }
  )
  t.same(await state.ledgerMismatches(), [])
  t.same((await app.store.auditLedger()).mismatches, [])
})
