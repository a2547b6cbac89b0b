import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../src/app.js'
import { bearer, build, login, signUp } from './helper.js'

function refreshRequest(app: App, payload: unknown) {
  return app.inject({ method: 'POST', url: '/api/token/refresh/', payload: payload as object })
}

/** Spends a refresh token that is expected to be valid and returns the new pair. */
async function rotate(app: App, refresh: string): Promise<{ access: string; refresh: string }> {
  const response = await refreshRequest(app, { refresh })
  if (response.statusCode !== 200) throw new Error(`refresh failed: ${response.body}`)
  return response.json()
}

function readBalance(app: App, access: string) {
  return app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: bearer(access) })
}

function claimsOf(token: string) {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
}

const INVALID = 'Token is invalid'
const LOGIN_ENDED =
  'Token belongs to a login that has ended (logged out, password changed or account deactivated); log in again'

function assertTokenNotValid(t: Test, response: LightMyRequestResponse, detail = INVALID) {
  t.equal(response.statusCode, 401)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.headers['www-authenticate'], 'Bearer')
  t.match(response.json(), { status: 401, code: 'token_not_valid', detail })
}

function assertValidationProblem(t: Test, response: LightMyRequestResponse, message: string | RegExp) {
  t.equal(response.statusCode, 400)
  t.match(response.json(), {
    code: 'validation_failed',
    errors: [{ pointer: '#/refresh', location: 'body', message }]
  })
}

t.test('a refresh token buys a new access and refresh token', async (t) => {
  const { app } = await build(t)
  const before = await signUp(app)
  const response = await refreshRequest(app, { refresh: before.refresh })
  t.equal(response.statusCode, 200)
  const after = response.json()
  t.same(Object.keys(after).sort(), ['access', 'refresh'])
  t.not(after.access, before.access)
  t.not(after.refresh, before.refresh)
  t.match(claimsOf(after.access), { token_type: 'access', sid: claimsOf(before.access).sid })
  t.match(claimsOf(after.refresh), { token_type: 'refresh', sid: claimsOf(before.refresh).sid })
})

t.test('the refreshed access token reads the balance', async (t) => {
  const { app } = await build(t)
  const { refresh } = await signUp(app)
  const { access } = await rotate(app, refresh)
  const response = await readBalance(app, access)
  t.equal(response.statusCode, 200)
  t.same(response.json(), { username: 'alice', tokens: 4000 })
})

t.test('rotation marks the old refresh token spent and stores the new one in the same session', async (t) => {
  const { app, state } = await build(t)
  const { refresh } = await signUp(app)
  const next = await rotate(app, refresh)
  const { sid, jti } = claimsOf(refresh)
  const spentFirst = (await state.refreshTokens()).sort(
    (a, b) => Number(a.spentAt === null) - Number(b.spentAt === null)
  )
  t.match(spentFirst, [
    { jti, sessionId: sid, spentAt: Number },
    { jti: claimsOf(next.refresh).jti, sessionId: sid, spentAt: null }
  ])
})

t.test('a spent refresh token presented again is refused and revokes its session', async (t) => {
  const { app, state } = await build(t)
  const { refresh } = await signUp(app)
  await rotate(app, refresh)
  assertTokenNotValid(t, await refreshRequest(app, { refresh }))
  t.match(await state.sessions(), [{ id: claimsOf(refresh).sid, revokedAt: Number }])
})

t.test('after a reuse the refresh token issued by the rotation is refused too', async (t) => {
  const { app } = await build(t)
  const { refresh } = await signUp(app)
  const rotated = await rotate(app, refresh)
  await refreshRequest(app, { refresh })
  assertTokenNotValid(t, await refreshRequest(app, { refresh: rotated.refresh }))
})

t.test('after a reuse the access tokens of that login stop working', async (t) => {
  const { app } = await build(t)
  const original = await signUp(app)
  const rotated = await rotate(app, original.refresh)
  await refreshRequest(app, { refresh: original.refresh })
  assertTokenNotValid(t, await readBalance(app, original.access), LOGIN_ENDED)
  assertTokenNotValid(t, await readBalance(app, rotated.access), LOGIN_ENDED)
})

t.test('a reuse leaves the other logins of the same user alone', async (t) => {
  const { app } = await build(t)
  const stolen = await signUp(app)
  const otherDevice = await login(app, 'alice')
  await rotate(app, stolen.refresh)
  await refreshRequest(app, { refresh: stolen.refresh })
  t.equal((await readBalance(app, otherDevice.access)).statusCode, 200)
  const next = await rotate(app, otherDevice.refresh)
  t.equal((await readBalance(app, next.access)).statusCode, 200)
})

t.test('an access token is not accepted as a refresh token', async (t) => {
  const { app, state } = await build(t)
  const { access } = await signUp(app)
  assertTokenNotValid(t, await refreshRequest(app, { refresh: access }))
  t.same(
    (await state.refreshTokens()).map(({ spentAt }) => ({ spentAt })),
    [{ spentAt: null }]
  )
})

t.test('a refresh token that is not a JWT is refused', async (t) => {
  const { app } = await build(t)
  await signUp(app)
  for (const refresh of ['garbage', 'a.b.c', '...', 'x'.repeat(4096)]) {
    assertTokenNotValid(t, await refreshRequest(app, { refresh }))
  }
})

t.test('an empty refresh token is a validation error', async (t) => {
  const { app } = await build(t)
  assertValidationProblem(t, await refreshRequest(app, { refresh: '' }), /fewer than 1/)
})

t.test('a missing refresh token is a validation error', async (t) => {
  const { app } = await build(t)
  assertValidationProblem(t, await refreshRequest(app, {}), 'is required')
})

t.test('the refresh token of a deleted user is refused', async (t) => {
  const { app, state } = await build(t)
  const { refresh } = await signUp(app)
  await state.tamper.deleteUser('alice')
  t.same(await state.sessions(), [], 'the session went with the user')
  assertTokenNotValid(t, await refreshRequest(app, { refresh }))
})

t.test('an expired refresh token is refused', async (t) => {
  const { app } = await build(t)
  const { refresh } = await signUp(app)
  const now = Math.floor(Date.now() / 1000)
  const claims = claimsOf(refresh)
  const expired = app.jwt.sign({ ...claims, iat: now - 120, exp: now - 60 })
  assertTokenNotValid(t, await refreshRequest(app, { refresh: expired }), 'Token has expired')

  const sameClaimsStillValid = app.jwt.sign({ ...claims, exp: now + 60 })
  t.equal((await refreshRequest(app, { refresh: sameClaimsStillValid })).statusCode, 200, 'only the expiry was wrong')
})

t.test(
  'rotation cannot extend a login past SESSION_MAX_AGE: its tokens expire by then, and refreshing stops',
  async (t) => {
    // Long enough that both rotations come before the end, on a busy machine too: `iat` is in whole seconds.
    const { app, state } = await build(t, { SESSION_MAX_AGE: '4s' })
    const first = await signUp(app)
    const sessionEnd = claimsOf(first.refresh).iat + 4
    const pairs = [first, await rotate(app, first.refresh)]
    await sleep(1100)
    pairs.push(await rotate(app, pairs[1]!.refresh))
    for (const [index, pair] of pairs.entries()) {
      t.ok(claimsOf(pair.refresh).exp <= sessionEnd, `refresh token ${index} expires by the end of the login`)
      t.ok(claimsOf(pair.access).exp <= sessionEnd, `access token ${index} too`)
    }
    const stored = Math.max(...(await state.refreshTokens()).map(({ expiresAt }) => expiresAt))
    t.ok(stored <= sessionEnd * 1000 + 999, 'the stored expiry of the last token is cut as well')

    await sleep(sessionEnd * 1000 - Date.now() + 100)
    assertTokenNotValid(t, await refreshRequest(app, { refresh: pairs[2]!.refresh }), 'Token has expired')
  }
)

t.test(
  'a login made before SESSION_MAX_AGE was lowered ends by the lower age: the store refuses the rotation',
  async (t) => {
    const { app, state, databaseUrl } = await build(t)
    const { refresh } = await signUp(app)
    const lowered = await build(t, { DATABASE_URL: databaseUrl, SESSION_MAX_AGE: '1s' })
    await sleep(1100)

    assertTokenNotValid(t, await refreshRequest(lowered.app, { refresh }))
    t.same(
      (await state.refreshTokens()).map(({ jti, spentAt }) => ({ jti, spentAt })),
      [{ jti: claimsOf(refresh).jti, spentAt: null }],
      'nothing was spent or issued'
    )
  }
)
