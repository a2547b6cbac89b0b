import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { build, PASSWORD, register } from './helper.js'
import type { StoredState } from './stored-state.js'

const FIVE_MINUTES = 300
const ONE_DAY = 86_400
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/
const CLAIM_NAMES = ['exp', 'iat', 'jti', 'sid', 'sub', 'token_type']

function postCredentials(app: App, url: string, username: string, password = PASSWORD) {
  return app.inject({ method: 'POST', url, payload: { username, password } })
}

function decodeJwt(token: string) {
  const [header = '', payload = ''] = token.split('.')
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  return { header: decode(header), payload: decode(payload) }
}

/** Registers alice and logs her in through `/api/login/`; returns the decoded tokens and her id. */
async function loggedInAlice(app: App, state: StoredState) {
  await register(app, 'alice')
  const response = await postCredentials(app, '/api/login/', 'alice')
  const { access, refresh } = response.json()
  return { access: decodeJwt(access), refresh: decodeJwt(refresh), userId: (await state.user('alice')).id }
}

function assertLifetime(t: Test, payload: { iat: number; exp: number }, seconds: number) {
  t.equal(payload.exp - payload.iat, seconds, `the token lives ${seconds} s`)
  t.ok(Math.abs(payload.iat - Date.now() / 1000) < 5, 'iat is now')
}

t.test('logging in returns a message, an access token and a refresh token', async (t) => {
  const { app } = await build(t)
  await register(app, 'alice')
  const response = await postCredentials(app, '/api/login/', 'alice')
  t.equal(response.statusCode, 200)
  t.same(Object.keys(response.json()).sort(), ['access', 'message', 'refresh'])
  t.match(response.json(), { message: 'Login successful', access: JWT, refresh: JWT })
})

t.test('the token endpoint returns exactly an access and a refresh token', async (t) => {
  const { app } = await build(t)
  await register(app, 'alice')
  const response = await postCredentials(app, '/api/token/', 'alice')
  t.equal(response.statusCode, 200)
  t.same(Object.keys(response.json()).sort(), ['access', 'refresh'])
  t.match(decodeJwt(response.json().access).payload, { token_type: 'access' })
  t.match(decodeJwt(response.json().refresh).payload, { token_type: 'refresh' })
})

t.test('the login username is case-insensitive', async (t) => {
  const { app } = await build(t)
  await register(app, 'alice')
  for (const username of ['ALICE', 'Alice', 'ａｌｉｃｅ']) {
    const response = await postCredentials(app, '/api/login/', username)
    t.equal(response.statusCode, 200, `${username} logs in as alice`)
  }
})

t.test('a wrong password and an unknown user get the same 401 answer', async (t) => {
  const { app, state } = await build(t)
  await register(app, 'alice')
  const wrongPassword = await postCredentials(app, '/api/login/', 'alice', 'not the password')
  const unknownUser = await postCredentials(app, '/api/login/', 'nobody')
  for (const response of [wrongPassword, unknownUser]) {
    t.equal(response.statusCode, 401)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.equal(response.headers['www-authenticate'], 'Bearer')
  }
  t.same(wrongPassword.json(), {
    type: 'urn:ai-chat-api:problem:invalid_credentials',
    title: 'Unauthorized',
    status: 401,
    detail: 'No active account found with the given credentials',
    code: 'invalid_credentials',
    instance: '/api/login/'
  })
  t.same(unknownUser.json(), wrongPassword.json())
  t.same(await state.sessions(), [], 'a failed login starts no session')
})

t.test('the token endpoint refuses a wrong password like login does', async (t) => {
  const { app } = await build(t)
  await register(app, 'alice')
  const response = await postCredentials(app, '/api/token/', 'alice', 'not the password')
  t.equal(response.statusCode, 401)
  t.match(response.json(), { code: 'invalid_credentials', instance: '/api/token/' })
})

t.test('both tokens are HS256 JWTs', async (t) => {
  const { app, state } = await build(t)
  const { access, refresh } = await loggedInAlice(app, state)
  t.same(access.header, { alg: 'HS256', typ: 'JWT' })
  t.same(refresh.header, { alg: 'HS256', typ: 'JWT' })
})

t.test('the access token names the user, the session and its type and lives 5 minutes', async (t) => {
  const { app, state } = await build(t)
  const { access, userId } = await loggedInAlice(app, state)
  t.same(Object.keys(access.payload).sort(), CLAIM_NAMES)
  t.match(access.payload, { sub: String(userId), sid: String, jti: String, token_type: 'access' })
  assertLifetime(t, access.payload, FIVE_MINUTES)
})

t.test('the refresh token shares the session and lives 1 day', async (t) => {
  const { app, state } = await build(t)
  const { access, refresh, userId } = await loggedInAlice(app, state)
  t.same(Object.keys(refresh.payload).sort(), CLAIM_NAMES)
  t.match(refresh.payload, { sub: String(userId), sid: access.payload.sid, token_type: 'refresh' })
  t.not(refresh.payload.jti, access.payload.jti)
  assertLifetime(t, refresh.payload, ONE_DAY)
})

t.test('ACCESS_TOKEN_TTL and REFRESH_TOKEN_TTL set the token lifetimes', async (t) => {
  const { app, state } = await build(t, { ACCESS_TOKEN_TTL: '30s', REFRESH_TOKEN_TTL: '2h' })
  const { access, refresh } = await loggedInAlice(app, state)
  assertLifetime(t, access.payload, 30)
  assertLifetime(t, refresh.payload, 7200)
})

t.test('a login starts a session with one unspent refresh token', async (t) => {
  const { app, state } = await build(t)
  const { refresh, userId } = await loggedInAlice(app, state)
  t.match(await state.sessions(), [{ id: refresh.payload.sid, userId, createdAt: Number, revokedAt: null }])
  t.same(await state.refreshTokens(), [
    {
      jti: refresh.payload.jti,
      sessionId: refresh.payload.sid,
      expiresAt: refresh.payload.exp * 1000,
      spentAt: null
    }
  ])
})

t.test('each login is a separate session', async (t) => {
  const { app, state } = await build(t)
  await register(app, 'alice')
  const first = decodeJwt((await postCredentials(app, '/api/login/', 'alice')).json().refresh)
  const second = decodeJwt((await postCredentials(app, '/api/token/', 'alice')).json().refresh)
  t.not(first.payload.sid, second.payload.sid)
  const sessionIds = (await state.sessions()).map(({ id }) => id)
  t.same(sessionIds.sort(), [first.payload.sid, second.payload.sid].sort())
  t.equal((await state.refreshTokens()).length, 2)
})

t.test('login validates its body', async (t) => {
  const { app } = await build(t)
  const cases: Array<[unknown, string]> = [
    [{ password: PASSWORD }, '#/username'],
    [{ username: 'alice' }, '#/password'],
    [{ username: '', password: PASSWORD }, '#/username'],
    [{ username: 'alice', password: PASSWORD, extra: true }, '#/extra'],
    [{ username: 'alice', password: 12345678 }, '#/password']
  ]
  for (const [payload, pointer] of cases) {
    const response = await app.inject({ method: 'POST', url: '/api/login/', payload: payload as object })
    t.equal(response.statusCode, 400)
    t.match(response.json(), { code: 'validation_failed', errors: [{ pointer, location: 'body' }] })
  }
})

async function passwordHashOf(state: StoredState, username: string): Promise<string> {
  return (await state.user(username)).passwordHash
}

t.test('a login upgrades a hash made with other argon2 parameters, and the password keeps working', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await register(app, 'alice')
  t.match(
    await passwordHashOf(state, 'alice'),
    /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/,
    'hashed with the test parameters'
  )
  const raised = await build(t, { DATABASE_URL: databaseUrl, ARGON2_MEMORY_KIB: '2048', ARGON2_TIME_COST: '2' })

  t.equal((await postCredentials(raised.app, '/api/login/', 'alice', 'not the password')).statusCode, 401)
  t.match(await passwordHashOf(state, 'alice'), /m=1024,t=1,p=1\$/, 'a wrong password upgrades nothing')
  t.equal((await postCredentials(raised.app, '/api/login/', 'alice')).statusCode, 200)
  const upgraded = await passwordHashOf(state, 'alice')
  t.match(upgraded, /^\$argon2id\$v=19\$m=2048,t=2,p=1\$/, 'made again with the raised parameters')
  t.equal((await postCredentials(raised.app, '/api/login/', 'alice')).statusCode, 200, 'the password still works')
  t.equal(await passwordHashOf(state, 'alice'), upgraded, 'an up-to-date hash is left as it is')
})
