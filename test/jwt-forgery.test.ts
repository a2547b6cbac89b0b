import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { createHmac } from 'node:crypto'
import type { App } from '../src/app.js'
import type { TokenClaims } from '../src/modules/auth/tokens.js'
import { TEST_ENV, build, register, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

const HASH_OF = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const
const WRONG_SECRET = 'not-the-secret-but-also-at-least-32-bytes'

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Builds an HMAC-signed JWT by hand, so the tests control every byte the server sees. */
function signJwt(claims: object, { alg = 'HS256' as keyof typeof HASH_OF, secret = TEST_ENV.JWT_SECRET } = {}): string {
  const signingInput = `${base64url({ alg, typ: 'JWT' })}.${base64url(claims)}`
  const signature = createHmac(HASH_OF[alg], secret).update(signingInput).digest('base64url')
  return `${signingInput}.${signature}`
}

function claimsOf(token: string): TokenClaims {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
}

/** Claims that would pass for alice's real login: her id and session, a fresh lifetime. */
function validClaims(access: string): TokenClaims {
  const now = Math.floor(Date.now() / 1000)
  return { ...claimsOf(access), iat: now, exp: now + 60 }
}

function readBalance(app: App, authorization?: string) {
  return app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: authorization ? { authorization } : {} })
}

async function userIdOf(state: StoredState, username: string): Promise<string> {
  return String((await state.user(username)).id)
}

function problemBody(code: string, detail: string) {
  return {
    type: `urn:ai-chat-api:problem:${code}`,
    title: 'Unauthorized',
    status: 401,
    detail,
    code,
    instance: '/api/tokenbalance/'
  }
}

const TOKEN_NOT_VALID = problemBody('token_not_valid', 'Token is invalid')
const LOGIN_ENDED = problemBody(
  'token_not_valid',
  'Token belongs to a login that has ended (logged out, password changed or account deactivated); log in again'
)

function assertUnauthorized(t: Test, response: LightMyRequestResponse, body = TOKEN_NOT_VALID) {
  t.equal(response.statusCode, 401)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.headers['www-authenticate'], 'Bearer')
  t.same(response.json(), body)
}

t.test('a request without an Authorization header is not authenticated', async (t) => {
  const { app } = await build(t)
  const body = problemBody('not_authenticated', 'Authentication credentials were not provided')
  assertUnauthorized(t, await readBalance(app), body)
})

t.test('a scheme other than Bearer is refused', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  assertUnauthorized(t, await readBalance(app, 'Basic xyz'))
  assertUnauthorized(t, await readBalance(app, `Token ${access}`))
})

t.test('Bearer without a token is refused', async (t) => {
  const { app } = await build(t)
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer  ']) {
    assertUnauthorized(t, await readBalance(app, authorization))
  }
})

t.test('a payload changed to another user keeps no valid signature', async (t) => {
  const { app, state } = await build(t)
  const { access } = await signUp(app, 'alice')
  await register(app, 'bob')
  const [header, , signature] = access.split('.')
  const tampered = `${header}.${base64url({ ...claimsOf(access), sub: await userIdOf(state, 'bob') })}.${signature}`
  assertUnauthorized(t, await readBalance(app, `Bearer ${tampered}`))
})

t.test('a token signed with the wrong key is refused', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  const forged = signJwt(validClaims(access), { secret: WRONG_SECRET })
  assertUnauthorized(t, await readBalance(app, `Bearer ${forged}`))
})

t.test('an unsigned token with alg none is refused', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  for (const alg of ['none', 'None', 'NONE']) {
    const unsigned = `${base64url({ alg, typ: 'JWT' })}.${base64url(validClaims(access))}.`
    assertUnauthorized(t, await readBalance(app, `Bearer ${unsigned}`))
  }
})

t.test('HS384 and HS512 are refused even with the right secret', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  for (const alg of ['HS384', 'HS512'] as const) {
    assertUnauthorized(t, await readBalance(app, `Bearer ${signJwt(validClaims(access), { alg })}`))
  }
})

t.test('a hand-made HS256 token with the right secret and a real session works', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  const response = await readBalance(app, `Bearer ${signJwt(validClaims(access))}`)
  t.equal(response.statusCode, 200)
  t.same(response.json(), { username: 'alice', tokens: 4000 })
})

t.test('a correctly signed token naming another user in your session is refused', async (t) => {
  const { app, state } = await build(t)
  const { access } = await signUp(app, 'alice')
  await register(app, 'bob')
  const crossed = signJwt({ ...validClaims(access), sub: await userIdOf(state, 'bob') })
  assertUnauthorized(t, await readBalance(app, `Bearer ${crossed}`), LOGIN_ENDED)
})

t.test('a correctly signed token with an unknown session is refused', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  const invented = signJwt({ ...validClaims(access), sid: '00000000-0000-4000-8000-000000000000' })
  assertUnauthorized(t, await readBalance(app, `Bearer ${invented}`), LOGIN_ENDED)
})

t.test('a refresh token is not accepted as an access token', async (t) => {
  const { app } = await build(t)
  const { refresh } = await signUp(app)
  assertUnauthorized(t, await readBalance(app, `Bearer ${refresh}`))
})

t.test('an expired access token is refused, and the detail says it expired', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  const now = Math.floor(Date.now() / 1000)
  const expired = signJwt({ ...claimsOf(access), iat: now - 120, exp: now - 60 })
  assertUnauthorized(
    t,
    await readBalance(app, `Bearer ${expired}`),
    problemBody('token_not_valid', 'Token has expired')
  )
})

t.test('an expired token signed with the wrong key is invalid, not expired', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  const now = Math.floor(Date.now() / 1000)
  const forged = signJwt({ ...claimsOf(access), iat: now - 120, exp: now - 60 }, { secret: WRONG_SECRET })
  assertUnauthorized(t, await readBalance(app, `Bearer ${forged}`))
})

t.test('the access token of a login that was logged out says the login has ended', async (t) => {
  const { app } = await build(t)
  const { access, refresh } = await signUp(app)
  const logout = await app.inject({
    method: 'POST',
    url: '/api/logout/',
    headers: { authorization: `Bearer ${access}` },
    payload: { refresh }
  })
  t.equal(logout.statusCode, 200)
  assertUnauthorized(t, await readBalance(app, `Bearer ${access}`), LOGIN_ENDED)
})

t.test('the access token of a deleted user is refused', async (t) => {
  const { app, state } = await build(t)
  const { access } = await signUp(app)
  await state.tamper.deleteUser('alice')
  assertUnauthorized(t, await readBalance(app, `Bearer ${access}`), LOGIN_ENDED)
})
