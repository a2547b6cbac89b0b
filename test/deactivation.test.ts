import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { App } from '../src/app.js'
import { adminAndUser, setActive, signUpAdmin } from './admin-helper.js'
import { assertProblem, bearer, build, login, PASSWORD, signUp } from './helper.js'

function readBalance(app: App, access: string) {
  return app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: bearer(access) })
}

function refresh(app: App, refreshToken: string) {
  return app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh: refreshToken } })
}

function postCredentials(app: App, url: string, username: string, password = PASSWORD) {
  return app.inject({ method: 'POST', url, payload: { username, password } })
}

/** The parts of an answer a client can tell apart. */
function visible(response: LightMyRequestResponse) {
  const { date: _date, 'content-length': _length, 'x-request-id': _requestId, ...headers } = response.headers
  return { status: response.statusCode, headers, body: response.json() }
}

t.test('deactivating answers the account and ends its live access and refresh tokens at once', async (t) => {
  const { app, state } = await build(t)
  const { user, admin } = await adminAndUser(app)
  const second = await login(app, 'alice')
  t.equal((await readBalance(app, user.access)).statusCode, 200, 'the token works before')

  const response = await setActive(app, admin.headers, 'alice', false)

  t.equal(response.statusCode, 200)
  t.match(response.json(), { username: 'alice', tokens: 4000, is_active: false, is_admin: false })
  for (const access of [user.access, second.access]) {
    assertProblem(t, await readBalance(app, access), {
      status: 401,
      code: 'token_not_valid',
      instance: '/api/tokenbalance/'
    })
  }
  for (const refreshToken of [user.refresh, second.refresh]) {
    assertProblem(t, await refresh(app, refreshToken), {
      status: 401,
      code: 'token_not_valid',
      instance: '/api/token/refresh/'
    })
  }
  const aliceId = (await state.user('alice')).id
  const live = (await state.sessions()).filter(({ userId, revokedAt }) => userId === aliceId && revokedAt === null)
  t.same(live, [], 'every session is revoked')
})

t.test('an inactive user is refused even with a session that was never revoked', async (t) => {
  // As after a login that finished while the deactivation ran: the session was started after the revocation.
  const { app, state } = await build(t)
  const { access, refresh: refreshToken } = await signUp(app)
  await state.tamper.updateUser('alice', { isActive: false })
  t.equal((await readBalance(app, access)).statusCode, 401)
  t.equal((await refresh(app, refreshToken)).statusCode, 401)
})

t.test('a deactivated user logging in gets exactly the answer of a wrong password', async (t) => {
  const { app } = await build(t)
  const { admin } = await adminAndUser(app)
  await signUp(app, 'bob')
  await setActive(app, admin.headers, 'alice', false)
  for (const url of ['/api/login/', '/api/token/']) {
    const deactivated = await postCredentials(app, url, 'alice')
    const wrongPassword = await postCredentials(app, url, 'bob', 'not the password')
    t.equal(deactivated.statusCode, 401, url)
    t.same(visible(deactivated), visible(wrongPassword), `${url}: same status, headers and body`)
  }
})

t.test('a reactivated user logs in again, while the tokens from before stay dead', async (t) => {
  const { app } = await build(t)
  const { user, admin } = await adminAndUser(app)
  await setActive(app, admin.headers, 'alice', false)

  const response = await setActive(app, admin.headers, 'alice', true)

  t.equal(response.statusCode, 200)
  t.match(response.json(), { username: 'alice', is_active: true })
  const fresh = await login(app, 'alice')
  t.equal((await readBalance(app, fresh.access)).statusCode, 200)
  t.equal((await readBalance(app, user.access)).statusCode, 401)
  t.equal((await refresh(app, user.refresh)).statusCode, 401)
})

t.test('reactivating an active user changes nothing and keeps their sessions', async (t) => {
  const { app } = await build(t)
  const { user, admin } = await adminAndUser(app)
  const response = await setActive(app, admin.headers, 'alice', true)
  t.equal(response.statusCode, 200)
  t.equal((await readBalance(app, user.access)).statusCode, 200)
})

t.test('an administrator cannot deactivate themselves', async (t) => {
  const { app } = await build(t)
  const admin = await signUpAdmin(app)
  const response = await setActive(app, admin.headers, 'ROOT', false)
  assertProblem(t, response, { status: 409, code: 'cannot_deactivate_self', instance: '/api/admin/users/ROOT/' })
  t.equal((await readBalance(app, admin.access)).statusCode, 200, 'their token still works')
  t.equal((await setActive(app, admin.headers, 'root', true)).statusCode, 200, 'staying active is fine')
})

t.test('a deactivated administrator loses the admin API with their next request', async (t) => {
  const { app } = await build(t)
  const first = await signUpAdmin(app, 'root')
  const second = await signUpAdmin(app, 'deputy')
  t.equal((await setActive(app, first.headers, 'deputy', false)).statusCode, 200)
  const response = await setActive(app, second.headers, 'root', false)
  assertProblem(t, response, { status: 401, code: 'token_not_valid', instance: '/api/admin/users/root/' })
})

t.test('deactivating an unknown user is 404', async (t) => {
  const { app } = await build(t)
  const admin = await signUpAdmin(app)
  const response = await setActive(app, admin.headers, 'nobody', false)
  assertProblem(t, response, { status: 404, code: 'user_not_found', instance: '/api/admin/users/nobody/' })
})

t.test('a body without a boolean is_active or is_admin, or with another field, is 400', async (t) => {
  const { app } = await build(t)
  const { admin } = await adminAndUser(app)
  for (const payload of [{}, { is_active: 'false' }, { is_active: 0 }, { is_active: false, is_staff: true }]) {
    const response = await app.inject({
      method: 'PATCH',
      url: '/api/admin/users/alice/',
      headers: admin.headers,
      payload
    })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(response.json().code, 'validation_failed')
  }
})
