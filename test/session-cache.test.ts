import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { openDatabase } from '../src/db/sqlite/connection.js'
import { createSessionCache, SESSION_CACHE_ENTRIES } from '../src/db/sqlite/session-cache.js'
import { createAdmin } from '../src/cli/commands.js'
import { Collected, setActive } from './admin-helper.js'
import { build, signUp, testConfig } from './helper.js'

const BALANCE = { method: 'GET', url: '/api/tokenbalance/' } as const
const ADMIN_USERS = { method: 'GET', url: '/api/admin/users/' } as const

/** A writable connection of another process, such as the operator CLI's, to the app's database. */
function otherConnection(t: Test, databaseUrl: string) {
  const other = new Database(databaseUrl)
  t.teardown(() => other.close())
  return other
}

t.test('a session ended by another connection is refused on the next request, though it was just used', async (t) => {
  const { app, databaseUrl } = await build(t)
  const { headers } = await signUp(app)
  t.equal((await app.inject({ ...BALANCE, headers })).statusCode, 200)
  otherConnection(t, databaseUrl).prepare('update sessions set revoked_at = ?').run(Date.now())
  t.equal((await app.inject({ ...BALANCE, headers })).statusCode, 401)
})

t.test('a user deactivated by another connection is refused on the next request', async (t) => {
  const { app, databaseUrl } = await build(t)
  const { headers } = await signUp(app)
  t.equal((await app.inject({ ...BALANCE, headers })).statusCode, 200)
  otherConnection(t, databaseUrl).prepare("update users set is_active = 0 where username = 'alice'").run()
  t.equal((await app.inject({ ...BALANCE, headers })).statusCode, 401)
})

t.test('a promotion or demotion by another connection takes effect on the next request', async (t) => {
  const { app, databaseUrl } = await build(t)
  const { headers } = await signUp(app)
  const other = otherConnection(t, databaseUrl)
  t.equal((await app.inject({ ...ADMIN_USERS, headers })).statusCode, 403)
  other.prepare("update users set is_admin = 1 where username = 'alice'").run()
  t.equal((await app.inject({ ...ADMIN_USERS, headers })).statusCode, 200)
  other.prepare("update users set is_admin = 0 where username = 'alice'").run()
  t.equal((await app.inject({ ...ADMIN_USERS, headers })).statusCode, 403)
})

t.test("the app's own changes take effect at once for sessions that were just used", async (t) => {
  const { app } = await build(t)
  const alice = await signUp(app, 'alice')
  t.equal((await app.inject({ ...ADMIN_USERS, headers: alice.headers })).statusCode, 403)
  const context = { store: app.store, config: testConfig(), out: new Collected() }
  await createAdmin(context, 'alice', {
    promote: true,
    readPassword: () => Promise.reject(new Error('an existing user needs no password'))
  })
  t.equal((await app.inject({ ...ADMIN_USERS, headers: alice.headers })).statusCode, 200, 'promoted')

  const bob = await signUp(app, 'bob')
  t.equal((await app.inject({ ...BALANCE, headers: bob.headers })).statusCode, 200)
  const deactivation = await setActive(app, alice.headers, 'bob', false)
  t.equal(deactivation.statusCode, 200)
  t.equal((await app.inject({ ...BALANCE, headers: bob.headers })).statusCode, 401, 'deactivated')

  const carol = await signUp(app, 'carol')
  t.equal((await app.inject({ ...BALANCE, headers: carol.headers })).statusCode, 200)
  const logout = await app.inject({ method: 'POST', url: '/api/logout_all/', headers: carol.headers })
  t.equal(logout.statusCode, 200)
  t.equal((await app.inject({ ...BALANCE, headers: carol.headers })).statusCode, 401, 'logged out everywhere')
  t.equal((await app.inject({ ...BALANCE, headers: alice.headers })).statusCode, 200, 'others are unaffected')
})

t.test('the cache has a bound, and never remembers a session that was not found', async (t) => {
  const { sqlite } = openDatabase(':memory:', 'normal')
  t.teardown(() => sqlite.close())
  const lookUp = createSessionCache(sqlite)
  const user = { id: 1, username: 'alice', isAdmin: false }
  let queries = 0
  const found = () => {
    queries++
    return user
  }

  t.equal(
    lookUp(1, 'missing', () => undefined),
    undefined
  )
  t.equal(
    lookUp(1, 'missing', () => undefined),
    undefined,
    'asked again'
  )
  t.same(lookUp(1, 'first', found), user)
  t.same(lookUp(1, 'first', found), user)
  t.equal(queries, 1, 'a live session is remembered')
  t.equal(
    lookUp(2, 'first', () => undefined),
    undefined,
    'the same session id under another user is not taken from the cache'
  )

  for (let index = 0; index < SESSION_CACHE_ENTRIES; index++) lookUp(1, `other-${index}`, () => user)
  lookUp(1, 'first', found)
  t.equal(queries, 2, 'past the bound the cache started afresh')
})
