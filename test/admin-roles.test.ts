import t from 'tap'
import type { App } from '../src/app.js'
import { adminAndUser, signUpAdmin } from './admin-helper.js'
import { assertProblem, build, login } from './helper.js'

type Headers = Record<string, string>

function updateUser(app: App, headers: Headers, username: string, payload: object) {
  return app.inject({ method: 'PATCH', url: `/api/admin/users/${username}/`, headers, payload })
}

function listUsers(app: App, headers: Headers) {
  return app.inject({ method: 'GET', url: '/api/admin/users/', headers })
}

t.test('an administrator promotes a user, who may use the admin API with their next request', async (t) => {
  const { app, state } = await build(t)
  const { user, admin } = await adminAndUser(app)
  t.equal((await listUsers(app, user.headers)).statusCode, 403)
  const response = await updateUser(app, admin.headers, 'Alice', { is_admin: true })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { username: 'alice', is_active: true, is_admin: true })
  t.match(await state.user('alice'), { isAdmin: true })
  t.equal((await listUsers(app, user.headers)).statusCode, 200, 'the same access token, now an administrator')
})

t.test(
  'an administrator demotes another, who loses the admin API with their next request and stays logged in',
  async (t) => {
    const { app, state } = await build(t)
    const root = await signUpAdmin(app, 'root')
    const deputy = await signUpAdmin(app, 'deputy')
    const response = await updateUser(app, root.headers, 'deputy', { is_admin: false })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { username: 'deputy', is_admin: false })
    t.match(await state.user('deputy'), { isAdmin: false, isActive: true })
    assertProblem(t, await listUsers(app, deputy.headers), {
      status: 403,
      code: 'admin_required',
      instance: '/api/admin/users/'
    })
    const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: deputy.headers })
    t.equal(balance.statusCode, 200, 'their login goes on as a user')
  }
)

t.test('an administrator cannot demote themselves: 409 cannot_demote_self, and nothing changes', async (t) => {
  const { app, state } = await build(t)
  const root = await signUpAdmin(app, 'root')
  const response = await updateUser(app, root.headers, 'ROOT', { is_admin: false })
  assertProblem(t, response, {
    status: 409,
    code: 'cannot_demote_self',
    instance: '/api/admin/users/ROOT/',
    detail: 'You cannot take away your own administrator rights; ask another administrator'
  })
  t.match(await state.user('root'), { isAdmin: true })
  t.equal((await listUsers(app, root.headers)).statusCode, 200)
  t.equal((await updateUser(app, root.headers, 'root', { is_admin: true })).statusCode, 200, 'staying one is fine')
})

t.test('one request may change both flags; a refused one changes neither', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const both = await updateUser(app, admin.headers, 'alice', { is_active: false, is_admin: true })
  t.match(both.json(), { username: 'alice', is_active: false, is_admin: true })
  t.match(await state.user('alice'), { isActive: false, isAdmin: true })

  const selfDemotion = await updateUser(app, admin.headers, 'root', { is_active: true, is_admin: false })
  t.equal(selfDemotion.statusCode, 409)
  t.match(await state.user('root'), { isActive: true, isAdmin: true })
  await t.rejects(login(app, 'alice'), 'a deactivated administrator cannot log in')
})

t.test('an update that changes nothing, or names an unknown flag, is 400', async (t) => {
  const { app } = await build(t)
  const { admin } = await adminAndUser(app)
  for (const payload of [{}, { is_superuser: true }, { is_admin: 'yes' }]) {
    const response = await updateUser(app, admin.headers, 'alice', payload)
    assertProblem(t, response, {
      status: 400,
      code: 'validation_failed',
      instance: '/api/admin/users/alice/',
      extensions: { errors: [] }
    })
  }
})

t.test('promoting an unknown user is 404 user_not_found', async (t) => {
  const { app } = await build(t)
  const { admin } = await adminAndUser(app)
  const response = await updateUser(app, admin.headers, 'nobody', { is_admin: true })
  assertProblem(t, response, { status: 404, code: 'user_not_found', instance: '/api/admin/users/nobody/' })
})
