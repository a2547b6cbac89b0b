import t from 'tap'
import type { App } from '../src/app.js'
import type { Transaction } from '../src/modules/transactions/schemas.js'
import { adjustTokens, adminAndUser, readAllPages, readPage } from './admin-helper.js'
import { assertProblem, build, failingOnce, signUp } from './helper.js'

type Headers = Record<string, string>

function sendChat(app: App, headers: Headers, message: string) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message } })
}

for (const [records, own] of [
  ['transactions', '/api/transactions/'],
  ['chats', '/api/chats/']
] as const) {
  t.test(`an administrator reads a user's ${records} exactly as the user does, page by page`, async (t) => {
    const { app } = await build(t)
    const { user, admin } = await adminAndUser(app)
    for (const message of ['one', 'two', 'three']) t.equal((await sendChat(app, user.headers, message)).statusCode, 201)
    t.equal((await adjustTokens(app, admin.headers, 'alice', { amount: 5, note: 'a gift' })).statusCode, 201)

    const query = { limit: '2' }
    const asAdmin = await readAllPages(app, `/api/admin/users/ALICE/${records}/`, admin.headers, query)
    t.same(asAdmin, await readAllPages(app, own, user.headers, query))
    t.ok(asAdmin.length >= 2, 'more than one page')
  })

  t.test(`a user's ${records} are not another's: an administrator sees only their own there`, async (t) => {
    const { app } = await build(t)
    const { user, admin } = await adminAndUser(app)
    await sendChat(app, user.headers, 'only alice')
    const adminsOwn = await readPage(app, `/api/admin/users/root/${records}/`, admin.headers)
    t.same(adminsOwn, await readPage(app, own, admin.headers))
  })

  t.test(`the ${records} of an unknown user are 404 user_not_found`, async (t) => {
    const { app } = await build(t)
    const { admin } = await adminAndUser(app)
    const url = `/api/admin/users/nobody/${records}/`
    const response = await app.inject({ method: 'GET', url, headers: admin.headers })
    assertProblem(t, response, { status: 404, code: 'user_not_found', instance: url })
  })

  t.test(`a bad cursor for a user's ${records} is 400`, async (t) => {
    const { app } = await build(t)
    const { admin } = await adminAndUser(app)
    const url = `/api/admin/users/alice/${records}/?cursor=x`
    const response = await app.inject({ method: 'GET', url, headers: admin.headers })
    assertProblem(t, response, { status: 400, code: 'validation_failed', instance: url, extensions: { errors: [] } })
  })
}

t.test("a user's ledger as an administrator sees it: signup, chats and the grant, newest first", async (t) => {
  const { app } = await build(t)
  const { user, admin } = await adminAndUser(app)
  await sendChat(app, user.headers, 'hello')
  await adjustTokens(app, admin.headers, 'alice', { amount: 5, note: 'a gift' })
  const page = await readPage<Transaction>(app, '/api/admin/users/alice/transactions/', admin.headers)
  t.match(
    page.items.map(({ reason, delta, balance_after, note }) => ({ reason, delta, balance_after, note })),
    [
      { reason: 'grant', delta: 5, balance_after: 3905, note: 'a gift' },
      { reason: 'chat', delta: -100, balance_after: 3900, note: null },
      { reason: 'signup', delta: 4000, balance_after: 4000, note: null }
    ]
  )
  t.equal(page.next_cursor, null)
})

t.test("a user's ledger is 503 storage_unavailable while the database cannot answer", async (t) => {
  const { app } = await build(t, {}, { store: failingOnce('listLedger') })
  const { admin } = await adminAndUser(app)
  const url = '/api/admin/users/alice/transactions/'
  const response = await app.inject({ method: 'GET', url, headers: admin.headers })
  assertProblem(t, response, { status: 503, code: 'storage_unavailable', instance: url })
  t.equal((await app.inject({ method: 'GET', url, headers: admin.headers })).statusCode, 200, 'and serves again')
})

t.test("a user who is not an administrator cannot read another's records", async (t) => {
  const { app } = await build(t)
  await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  for (const records of ['transactions', 'chats']) {
    const url = `/api/admin/users/alice/${records}/`
    const response = await app.inject({ method: 'GET', url, headers: bob.headers })
    assertProblem(t, response, { status: 403, code: 'admin_required', instance: url })
  }
})
