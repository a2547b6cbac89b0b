import t, { type Test } from 'tap'
import type Database from 'better-sqlite3'
import type { App } from '../src/app.js'
import { build, PASSWORD, register } from './helper.js'

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

function userIdOf(db: Database.Database, username: string): number {
  return (db.prepare('select id from users where username_key = ?').get(username) as { id: number }).id
}

/** Registers alice and logs her in through `/api/login/`; returns the decoded tokens and her id. */
async function loggedInAlice(app: App, db: Database.Database) {
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
  t.same(db.prepare('select * from sessions').all(), [], 'a failed login starts no session')
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
  const { access, refresh } = await loggedInAlice(app, db)
  t.same(access.header, { alg: 'HS256', typ: 'JWT' })
  t.same(refresh.header, { alg: 'HS256', typ: 'JWT' })
})

t.test('the access token names the user, the session and its type and lives 5 minutes', async (t) => {
  const { app, state } = await build(t)
  const { access, userId } = await loggedInAlice(app, db)
  t.same(Object.keys(access.payload).sort(), CLAIM_NAMES)
  t.match(access.payload, { sub: String(userId), sid: String, jti: String, token_type: 'access' })
  assertLifetime(t, access.payload, FIVE_MINUTES)
})

t.test('the refresh token shares the session and lives 1 day', async (t) => {
  const { app, state } = await build(t)
  const { access, refresh, userId } = await loggedInAlice(app, db)
  t.same(Object.keys(refresh.payload).sort(), CLAIM_NAMES)
  t.match(refresh.payload, { sub: String(userId), sid: access.payload.sid, token_type: 'refresh' })
  t.not(refresh.payload.jti, access.payload.jti)
  assertLifetime(t, refresh.payload, ONE_DAY)
})

t.test('ACCESS_TOKEN_TTL and REFRESH_TOKEN_TTL set the token lifetimes', async (t) => {
  const { app, state } = await build(t, { ACCESS_TOKEN_TTL: '30s', REFRESH_TOKEN_TTL: '2h' })
  const { access, refresh } = await loggedInAlice(app, db)
  assertLifetime(t, access.payload, 30)
  assertLifetime(t, refresh.payload, 7200)
})

t.test('a login starts a session with one unspent refresh token', async (t) => {
  const { app, state } = await build(t)
  const { refresh, userId } = await loggedInAlice(app, db)
  t.match(db.prepare('select * from sessions').all(), [
    { id: refresh.payload.sid, user_id: userId, created_at: Number, revoked_at: null }
  ])
  t.same(db.prepare('select * from refresh_tokens').all(), [
    {
      jti: refresh.payload.jti,
      session_id: refresh.payload.sid,
      expires_at: refresh.payload.exp * 1000,
      spent_at: null
    }
  ])
})

t.test('each login is a separate session', async (t) => {
  const { app, state } = await build(t)
  await register(app, 'alice')
  const first = decodeJwt((await postCredentials(app, '/api/login/', 'alice')).json().refresh)
  const second = decodeJwt((await postCredentials(app, '/api/token/', 'alice')).json().refresh)
  t.not(first.payload.sid, second.payload.sid)
  const sessionIds = db
    .prepare('select id from sessions')
    .all()
    .map((row) => (row as { id: string }).id)
  t.same(sessionIds.sort(), [first.payload.sid, second.payload.sid].sort())
  t.equal((db.prepare('select count(*) as n from refresh_tokens').get() as { n: number }).n, 2)
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

function passwordHashOf(db: Database.Database, username: string): string {
  return db.prepare('select password_hash from users where username_key = ?').pluck().get(username) as string
}

t.test('a login upgrades a hash made with other argon2 parameters, and the password keeps working', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await register(app, 'alice')
  t.match(passwordHashOf(db, 'alice'), /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/, 'hashed with the test parameters')
  const raised = await build(t, { DATABASE_URL: databaseUrl, ARGON2_MEMORY_KIB: '2048', ARGON2_TIME_COST: '2' })

  t.equal((await postCredentials(raised.app, '/api/login/', 'alice', 'not the password')).statusCode, 401)
  t.match(passwordHashOf(db, 'alice'), /m=1024,t=1,p=1\$/, 'a wrong password upgrades nothing')
  t.equal((await postCredentials(raised.app, '/api/login/', 'alice')).statusCode, 200)
  const upgraded = passwordHashOf(db, 'alice')
  t.match(upgraded, /^\$argon2id\$v=19\$m=2048,t=2,p=1\$/, 'made again with the raised parameters')
  t.equal((await postCredentials(raised.app, '/api/login/', 'alice')).statusCode, 200, 'the password still works')
  t.equal(passwordHashOf(db, 'alice'), upgraded, 'an up-to-date hash is left as it is')
})
