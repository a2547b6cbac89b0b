import type { HTTPMethods } from 'fastify'
import t from 'tap'
import type { App } from '../src/app.js'
import type { AdminUser } from '../src/modules/admin/schemas.js'
import { adminAndUser, readAllPages, readPage, signUpAdmin } from './admin-helper.js'
import { assertProblem, build, register, signUp } from './helper.js'

type Headers = Record<string, string>

const ADMIN_ROUTES: { method: HTTPMethods; url: string; payload?: object }[] = [
  { method: 'GET', url: '/api/admin/users/' },
  { method: 'POST', url: '/api/admin/users/alice/tokens/', payload: { amount: 1000, note: 'for myself' } },
  { method: 'PATCH', url: '/api/admin/users/alice/', payload: { is_active: false } },
  { method: 'PATCH', url: '/api/admin/users/alice/', payload: { is_admin: true } },
  { method: 'GET', url: '/api/admin/users/alice/transactions/' },
  { method: 'GET', url: '/api/admin/users/alice/chats/' },
  { method: 'POST', url: '/api/admin/users/alice/unlock/' }
]

const USERS = '/api/admin/users/'

function listUsers(app: App, headers: Headers, query: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url: USERS, headers, query })
}

async function usernames(app: App, headers: Headers, query: Record<string, string> = {}) {
  return (await readPage<AdminUser>(app, USERS, headers, query)).items.map((user) => user.username)
}

t.test('every admin route answers a user who is not an administrator with 403 and changes nothing', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app, 'alice')
  for (const route of ADMIN_ROUTES) {
    const response = await app.inject({ ...route, headers })
    assertProblem(t, response, { status: 403, code: 'admin_required', instance: route.url })
  }
  t.same((await state.ledger('alice')).length, 1, 'no grant was written')
  t.match((await state.users())[0], { tokens: 4000, isActive: true })
})

t.test('every admin route answers a request without an access token with 401', async (t) => {
  const { app } = await build(t)
  for (const route of ADMIN_ROUTES) {
    const response = await app.inject(route)
    assertProblem(t, response, { status: 401, code: 'not_authenticated', instance: route.url })
  }
})

t.test('an administrator demoted in the database loses access with the next request', async (t) => {
  const { app, state } = await build(t)
  const admin = await signUpAdmin(app)
  t.equal((await listUsers(app, admin.headers)).statusCode, 200)
  await state.tamper.updateUser('root', { isAdmin: false })
  t.equal((await listUsers(app, admin.headers)).statusCode, 403)
})

t.test('the user list shows every account in username order with balance, flags and creation time', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app, 'Zoe')
  await register(app, 'bob')
  const page = await readPage<AdminUser>(app, USERS, admin.headers)
  const stored = (await state.users()).sort((a, b) => (a.usernameKey < b.usernameKey ? -1 : 1))
  t.same(page, {
    items: stored.map((user) => ({
      username: user.username,
      tokens: user.tokens,
      is_active: user.isActive,
      is_admin: user.isAdmin,
      created_at: new Date(user.createdAt).toISOString()
    })),
    next_cursor: null
  })
  t.same(
    page.items.map((user) => [user.username, user.is_admin]),
    [
      ['bob', false],
      ['root', true],
      ['Zoe', false]
    ]
  )
})

t.test('search keeps the usernames that start with the prefix, regardless of case', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUpAdmin(app)
  for (const username of ['alice', 'Alan', 'malice', 'a_b', 'axb', 'Ärger', 'ärmel', 'arm'])
    await register(app, username)
  t.same(await usernames(app, headers, { search: 'AL' }), ['Alan', 'alice'])
  t.same(await usernames(app, headers, { search: 'a_' }), ['a_b'], 'an underscore is no wildcard')
  t.same(await usernames(app, headers, { search: 'är' }), ['Ärger', 'ärmel'])
  t.same(await usernames(app, headers, { search: 'alice' }), ['alice'], 'a whole username matches itself')
  t.same(await usernames(app, headers, { search: 'nobody' }), [])
  t.equal((await usernames(app, headers, { search: '' })).length, 9, 'an empty search lists everyone')
})

t.test('pages of users follow next_cursor, keeping the search, each user exactly once', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUpAdmin(app)
  const names = ['user-e', 'user-a', 'user-d', 'User-c', 'user-b', 'other']
  for (const username of names) await register(app, username)

  const pages = await readAllPages<AdminUser>(app, USERS, headers, { search: 'user', limit: '2' })
  t.same(
    pages.map((page) => page.items.map((user) => user.username)),
    [['user-a', 'user-b'], ['User-c', 'user-d'], ['user-e']]
  )
})

t.test('a bad query to the user list is 400', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUpAdmin(app)
  const queries: Record<string, string>[] = [
    { limit: '0' },
    { limit: '101' },
    { cursor: 'not a cursor!' },
    { search: 'x'.repeat(151) },
    { sort: 'tokens' }
  ]
  for (const query of queries) {
    const response = await listUsers(app, headers, query)
    t.equal(response.statusCode, 400, JSON.stringify(query))
    t.equal(response.json().code, 'validation_failed')
  }
})
