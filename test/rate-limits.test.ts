import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import type { App } from '../src/app.js'
import { assertProblem, build, PASSWORD, register, signUp } from './helper.js'

const WRONG_PASSWORD = 'not the password'
const ATTACKER = '203.0.113.66'
const ELSEWHERE = '198.51.100.7'

/** The suites run with RATE_LIMIT=off (test/helper.ts); these turn the limits on, small enough to reach. */
function limited(env: Record<string, string> = {}) {
  return { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_FAILURES: '3', ...env }
}

interface From {
  address?: string
  headers?: Record<string, string>
}

function logIn(app: App, username: string, password: string, from: From = {}, url = '/api/login/') {
  const { address = ATTACKER, headers = {} } = from
  return app.inject({ method: 'POST', url, remoteAddress: address, headers, payload: { username, password } })
}

async function failLogins(t: Test, app: App, username: string, times: number, from: From = {}) {
  for (let attempt = 0; attempt < times; attempt++) {
    const response = await logIn(app, username, WRONG_PASSWORD, from)
    t.equal(response.statusCode, 401, `failed login ${attempt + 1} is 401`)
  }
}

/** A 429 `rate_limited` problem with a `Retry-After` of 1 to `maxSeconds` seconds; returns that value. */
function assertRateLimited(t: Test, response: LightMyRequestResponse, instance: string, maxSeconds: number) {
  assertProblem(t, response, { status: 429, code: 'rate_limited', instance })
  const retryAfter = Number(response.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxSeconds, `Retry-After ${retryAfter}`)
  t.match(response.json().detail, new RegExp(`try again in \\d+ (second|minute|hour)s?$`))
  return retryAfter
}

t.test(
  'after the limit of failed logins for a username from one address, even the right password is 429',
  async (t) => {
    const { app } = await build(t, limited())
    await register(app, 'alice')
    await failLogins(t, app, 'alice', 3)

    const response = await logIn(app, 'alice', PASSWORD)
    assertRateLimited(t, response, '/api/login/', 15 * 60)
    t.match(
      response.json().detail,
      /^Too many failed logins for this username from your address; try again in 15 minutes$/
    )
  }
)

t.test('the token endpoint shares the failed-login limit, whatever the username case', async (t) => {
  const { app } = await build(t, limited())
  await register(app, 'alice')
  await failLogins(t, app, 'Alice', 3)
  assertRateLimited(t, await logIn(app, 'ALICE', PASSWORD, {}, '/api/token/'), '/api/token/', 15 * 60)
})

t.test('the same username from another address, or another username, can still log in', async (t) => {
  const { app } = await build(t, limited())
  await register(app, 'alice')
  await register(app, 'bob')
  await failLogins(t, app, 'alice', 3)

  t.equal((await logIn(app, 'alice', PASSWORD, { address: ELSEWHERE })).statusCode, 200, 'alice elsewhere')
  t.equal((await logIn(app, 'bob', PASSWORD)).statusCode, 200, 'bob from the attacking address')
  t.equal((await logIn(app, 'alice', PASSWORD)).statusCode, 429, 'alice from the attacking address')
})

t.test('correct passwords are never counted', async (t) => {
  const { app } = await build(t, limited())
  await register(app, 'alice')
  for (let attempt = 0; attempt < 10; attempt++) {
    t.equal((await logIn(app, 'alice', PASSWORD)).statusCode, 200)
  }
  await failLogins(t, app, 'alice', 2)
  t.equal((await logIn(app, 'alice', PASSWORD)).statusCode, 200, 'two failures leave room for the third attempt')
})

t.test('simultaneous failed logins cannot outrun the limit', async (t) => {
  // The per-account cap on hashes in flight would refuse some of them with 503 before the limit is reached.
  const { app } = await build(t, limited({ ARGON2_PER_ACCOUNT: '12' }))
  await register(app, 'alice')
  const responses = await Promise.all(Array.from({ length: 12 }, () => logIn(app, 'alice', WRONG_PASSWORD)))
  const statuses = responses.map((response) => response.statusCode).sort()
  t.same(statuses, [...Array(3).fill(401), ...Array(9).fill(429)])
})

t.test('failed logins from one address across many usernames meet the looser per-address limit', async (t) => {
  const { app } = await build(t, limited({ RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: '5' }))
  await register(app, 'alice')
  for (const username of ['u1', 'u2', 'u3', 'u4', 'u5']) await failLogins(t, app, username, 1)

  const response = await logIn(app, 'alice', PASSWORD)
  assertRateLimited(t, response, '/api/login/', 15 * 60)
  t.match(response.json().detail, /^Too many failed logins from your address;/)
  t.equal((await logIn(app, 'alice', PASSWORD, { address: ELSEWHERE })).statusCode, 200, 'other addresses are not')
})

t.test('failed logins are allowed again once the window has passed', async (t) => {
  const { app } = await build(t, limited({ RATE_LIMIT_LOGIN_WINDOW: '1s' }))
  await register(app, 'alice')
  await failLogins(t, app, 'alice', 3)
  const retryAfter = assertRateLimited(t, await logIn(app, 'alice', PASSWORD), '/api/login/', 1)

  await sleep(retryAfter * 1000 + 100)
  t.equal((await logIn(app, 'alice', PASSWORD)).statusCode, 200)
})

function changePassword(app: App, headers: Record<string, string>, oldPassword: string, from: From = {}) {
  const { address = ATTACKER } = from
  return app.inject({
    method: 'POST',
    url: '/api/password/',
    remoteAddress: address,
    headers,
    payload: { old_password: oldPassword, new_password: 'a brand new passphrase' }
  })
}

t.test(
  'wrong old passwords count per account: past the limit even the right one is 429 and changes nothing',
  async (t) => {
    const { app, state } = await build(t, limited())
    const alice = await signUp(app, 'alice')
    const hashBefore = (await state.user('alice')).passwordHash
    for (let attempt = 1; attempt <= 3; attempt++) {
      t.equal((await changePassword(app, alice.headers, WRONG_PASSWORD)).statusCode, 400, `wrong password ${attempt}`)
    }

    const response = await changePassword(app, alice.headers, PASSWORD, { address: ELSEWHERE })
    assertRateLimited(t, response, '/api/password/', 15 * 60)
    t.match(response.json().detail, /^Too many wrong passwords for your account; try again in 15 minutes$/)
    t.equal((await state.user('alice')).passwordHash, hashBefore, 'the password is unchanged')
    const bob = await signUp(app, 'bob')
    t.equal((await changePassword(app, bob.headers, PASSWORD)).statusCode, 200, 'another account is not limited')
  }
)

t.test('password changes with the right old password are never counted', async (t) => {
  const { app } = await build(t, limited())
  const alice = await signUp(app, 'alice')
  t.equal((await changePassword(app, alice.headers, WRONG_PASSWORD)).statusCode, 400)
  t.equal((await changePassword(app, alice.headers, WRONG_PASSWORD)).statusCode, 400)
  t.equal((await changePassword(app, alice.headers, PASSWORD)).statusCode, 200, 'two failures leave room')
  for (let change = 0; change < 3; change++) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/password/',
      headers: alice.headers,
      payload: { old_password: 'a brand new passphrase', new_password: 'a brand new passphrase' }
    })
    t.equal(response.statusCode, 200, `right password ${change + 1}`)
  }
})

t.test('registrations are limited per address', async (t) => {
  const { app } = await build(t, limited({ RATE_LIMIT_REGISTRATIONS: '2' }))
  const registerFrom = (username: string, address: string) =>
    app.inject({
      method: 'POST',
      url: '/api/register/',
      remoteAddress: address,
      payload: { username, password: PASSWORD }
    })
  t.equal((await registerFrom('user1', ATTACKER)).statusCode, 201)
  t.equal((await registerFrom('user1', ATTACKER)).statusCode, 409, 'a refused registration counts too')

  const response = await registerFrom('user2', ATTACKER)
  assertRateLimited(t, response, '/api/register/', 60 * 60)
  t.match(response.json().detail, /^Too many registrations from your address; try again in (1 hour|60 minutes)$/)
  t.equal((await registerFrom('user2', ELSEWHERE)).statusCode, 201, 'another address may register')
})

t.test('chat messages are limited per user and a refused one costs nothing', async (t) => {
  const { app, state } = await build(t, limited({ RATE_LIMIT_CHATS: '2' }))
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  const chat = (headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'Hello' } })

  for (let message = 0; message < 2; message++) t.equal((await chat(alice.headers)).statusCode, 201)
  const response = await chat(alice.headers)
  assertRateLimited(t, response, '/api/chat_msg/', 60)
  t.match(response.json().detail, /^You are sending messages too fast;/)
  t.equal(await state.countChats(), 2, 'no chat was stored for the refused message')
  const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: alice.headers })
  t.equal(balance.json().tokens, 3800, 'only the two answered messages were charged')

  t.equal((await chat(bob.headers)).statusCode, 201, 'bob, from the same address, has his own limit')
})

t.test('an anonymous chat message is 401, not counted against anyone', async (t) => {
  const { app } = await build(t, limited({ RATE_LIMIT_CHATS: '1' }))
  for (let attempt = 0; attempt < 3; attempt++) {
    const response = await app.inject({ method: 'POST', url: '/api/chat_msg/', payload: { message: 'Hello' } })
    t.equal(response.statusCode, 401)
  }
})

t.test('RATE_LIMIT=off turns every limit off', async (t) => {
  const env = { RATE_LIMIT_LOGIN_FAILURES: '1', RATE_LIMIT_REGISTRATIONS: '1', RATE_LIMIT_CHATS: '1' }
  const { app } = await build(t, { ...env, RATE_LIMIT: 'off' })
  const { headers } = await signUp(app, 'alice')
  await register(app, 'bob')
  await failLogins(t, app, 'alice', 3)
  t.equal((await logIn(app, 'alice', PASSWORD)).statusCode, 200)
  for (let message = 0; message < 3; message++) {
    const response = await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'Hi' } })
    t.equal(response.statusCode, 201)
  }
})

t.test('with TRUST_PROXY, the address from X-Forwarded-For is the one limited', async (t) => {
  const { app } = await build(t, limited({ TRUST_PROXY: '127.0.0.1' }))
  await register(app, 'alice')
  const viaProxy = (client: string) => ({ address: '127.0.0.1', headers: { 'x-forwarded-for': client } })
  await failLogins(t, app, 'alice', 3, viaProxy(ATTACKER))

  t.equal((await logIn(app, 'alice', PASSWORD, viaProxy(ATTACKER))).statusCode, 429, 'the attacker')
  t.equal((await logIn(app, 'alice', PASSWORD, viaProxy(ELSEWHERE))).statusCode, 200, 'alice behind the proxy')
})

t.test('without TRUST_PROXY, X-Forwarded-For is ignored, so it cannot dodge a limit', async (t) => {
  const { app } = await build(t, limited())
  await register(app, 'alice')
  await failLogins(t, app, 'alice', 3, { headers: { 'x-forwarded-for': '192.0.2.1' } })
  const spoofed = await logIn(app, 'alice', PASSWORD, { headers: { 'x-forwarded-for': '192.0.2.2' } })
  t.equal(spoofed.statusCode, 429)
})

t.test('X-Forwarded-For from a peer that is not a trusted proxy is ignored', async (t) => {
  const { app } = await build(t, limited({ TRUST_PROXY: '10.0.0.1' }))
  await register(app, 'alice')
  await failLogins(t, app, 'alice', 3, { headers: { 'x-forwarded-for': '192.0.2.1' } })
  const spoofed = await logIn(app, 'alice', PASSWORD, { headers: { 'x-forwarded-for': '192.0.2.2' } })
  t.equal(spoofed.statusCode, 429)
})

t.test('every rate-limited operation declares its 429 problem', async (t) => {
  const { app } = await build(t)
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  for (const path of ['/api/register/', '/api/login/', '/api/token/', '/api/chat_msg/', '/api/password/']) {
    const problem = document.paths[path].post.responses['429']?.content?.['application/problem+json']
    t.match(problem, { schema: { $ref: '#/components/schemas/Problem' } }, `${path} declares 429`)
  }
})
