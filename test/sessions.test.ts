import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { assertProblem, bearer, build, login, PASSWORD, register, signUp } from './helper.js'

function post(app: App, url: string, payload?: object, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload, headers })
}

async function balanceStatus(app: App, access: string) {
  return (await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: bearer(access) })).statusCode
}

async function refreshStatus(app: App, refresh: string) {
  return (await post(app, '/api/token/refresh/', { refresh })).statusCode
}

function assertTokenNotValid(t: Test, response: Awaited<ReturnType<typeof post>>, instance: string) {
  assertProblem(t, response, { status: 401, code: 'token_not_valid', instance })
}

t.test('a live access or refresh token verifies with 200 and an empty body', async (t) => {
  const { app } = await build(t)
  const { access, refresh } = await signUp(app)
  for (const token of [access, refresh]) {
    const response = await post(app, '/api/token/verify/', { token })
    t.equal(response.statusCode, 200)
    t.same(response.json(), {})
  }
})

t.test('forged, spent and revoked tokens do not verify', async (t) => {
  const { app } = await build(t)
  const { access, refresh } = await signUp(app)
  assertTokenNotValid(t, await post(app, '/api/token/verify/', { token: `${access}x` }), '/api/token/verify/')

  await post(app, '/api/token/refresh/', { refresh })
  assertTokenNotValid(t, await post(app, '/api/token/verify/', { token: refresh }), '/api/token/verify/')

  const other = await login(app, 'alice')
  await post(app, '/api/token/blacklist/', { refresh: other.refresh })
  assertTokenNotValid(t, await post(app, '/api/token/verify/', { token: other.access }), '/api/token/verify/')
})

t.test(
  'blacklisting a refresh token ends its login, access tokens included, and leaves other logins alone',
  async (t) => {
    const { app } = await build(t)
    const first = await signUp(app)
    const second = await login(app, 'alice')

    const response = await post(app, '/api/token/blacklist/', { refresh: first.refresh })

    t.equal(response.statusCode, 200)
    t.same(response.json(), {})
    t.equal(await balanceStatus(app, first.access), 401)
    t.equal(await refreshStatus(app, first.refresh), 401)
    t.equal(await balanceStatus(app, second.access), 200)
    assertTokenNotValid(
      t,
      await post(app, '/api/token/blacklist/', { refresh: first.refresh }),
      '/api/token/blacklist/'
    )
  }
)

t.test('an access token cannot be blacklisted as a refresh token', async (t) => {
  const { app } = await build(t)
  const { access } = await signUp(app)
  assertTokenNotValid(t, await post(app, '/api/token/blacklist/', { refresh: access }), '/api/token/blacklist/')
  t.equal(await balanceStatus(app, access), 200)
})

t.test('logout ends the login of the given refresh token', async (t) => {
  const { app } = await build(t)
  const { access, refresh, headers } = await signUp(app)

  const response = await post(app, '/api/logout/', { refresh }, headers)

  t.equal(response.statusCode, 200)
  t.same(response.json(), {})
  t.equal(await balanceStatus(app, access), 401)
  t.equal(await refreshStatus(app, refresh), 401)
})

t.test('logout refuses another user’s refresh token and ends nothing', async (t) => {
  const { app } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')

  assertTokenNotValid(t, await post(app, '/api/logout/', { refresh: bob.refresh }, alice.headers), '/api/logout/')
  t.equal(await balanceStatus(app, bob.access), 200)
})

t.test('logout needs authentication', async (t) => {
  const { app } = await build(t)
  const { refresh } = await signUp(app)
  assertProblem(t, await post(app, '/api/logout/', { refresh }), {
    status: 401,
    code: 'not_authenticated',
    instance: '/api/logout/'
  })
  t.equal(await refreshStatus(app, refresh), 200)
})

t.test('logout_all ends every login at once, live access tokens included', async (t) => {
  const { app } = await build(t)
  const first = await signUp(app)
  const second = await login(app, 'alice')
  const bob = await signUp(app, 'bob')

  const response = await post(app, '/api/logout_all/', undefined, first.headers)

  t.equal(response.statusCode, 200)
  for (const session of [first, second]) {
    t.equal(await balanceStatus(app, session.access), 401)
    t.equal(await refreshStatus(app, session.refresh), 401)
  }
  t.equal(await balanceStatus(app, bob.access), 200, 'other users are untouched')
  t.equal((await post(app, '/api/login/', { username: 'alice', password: PASSWORD })).statusCode, 200)
})

/** Signs alice up twice over (two logins) and changes her password from the first. */
async function changePasswordFrom(app: App, oldPassword: string) {
  const current = await signUp(app)
  const other = await login(app, 'alice')
  const response = await post(
    app,
    '/api/password/',
    { old_password: oldPassword, new_password: 'a brand new passphrase' },
    current.headers
  )
  return { current, other, response }
}

t.test('a password change keeps this login, ends the others, and the new password logs in', async (t) => {
  const { app } = await build(t)
  const { current, other, response } = await changePasswordFrom(app, PASSWORD)

  t.equal(response.statusCode, 200)
  t.same(response.json(), { message: 'Password changed', ended_sessions: 1 })
  t.equal(await balanceStatus(app, current.access), 200)
  t.equal(await balanceStatus(app, other.access), 401)
  t.equal((await post(app, '/api/login/', { username: 'alice', password: PASSWORD })).statusCode, 401)
  t.equal((await post(app, '/api/login/', { username: 'alice', password: 'a brand new passphrase' })).statusCode, 200)
})

t.test('a wrong old password is 400 wrong_password and changes nothing', async (t) => {
  const { app } = await build(t)
  const { other, response } = await changePasswordFrom(app, 'not my password')

  assertProblem(t, response, {
    status: 400,
    code: 'wrong_password',
    instance: '/api/password/',
    extensions: { errors: [{ pointer: '#/old_password', location: 'body', message: 'is not your current password' }] }
  })
  t.equal(await balanceStatus(app, other.access), 200)
  t.equal((await post(app, '/api/login/', { username: 'alice', password: PASSWORD })).statusCode, 200)
})

t.test('a new password must follow the password rules', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const response = await post(app, '/api/password/', { old_password: PASSWORD, new_password: 'short' }, headers)
  assertProblem(t, response, {
    status: 400,
    code: 'validation_failed',
    instance: '/api/password/',
    extensions: { errors: [{ pointer: '#/new_password', location: 'body', message: /fewer than 8/ }] }
  })
})

t.test('session endpoints work without the trailing slash too', async (t) => {
  const { app } = await build(t)
  await register(app, 'alice')
  const { access, refresh } = await login(app, 'alice')
  t.equal((await post(app, '/api/token/verify', { token: access })).statusCode, 200)
  t.equal((await post(app, '/api/logout', { refresh }, bearer(access))).statusCode, 200)
})
