import t from 'tap'
import type { App } from '../src/app.js'
import { adminAndUser } from './admin-helper.js'
import { assertProblem, build, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

const KEY = 'grant-2026-11-23-outage'

function grant(app: App, headers: Record<string, string>, username: string, amount = 500, key = KEY) {
  return app.inject({
    method: 'POST',
    url: `/api/admin/users/${username}/tokens/`,
    headers: { ...headers, 'idempotency-key': key },
    payload: { amount, note: 'Compensation for the outage' }
  })
}

async function grantRows(state: StoredState) {
  return { n: (await state.ledger()).filter(({ reason }) => reason === 'grant').length }
}

t.test('a retried grant with the same key is replayed, not granted twice', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)

  const first = await grant(app, admin.headers, 'alice')
  const retry = await grant(app, admin.headers, 'alice')

  t.equal(first.statusCode, 201)
  t.equal(retry.statusCode, 201)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.same(retry.json(), first.json())
  t.same(await grantRows(state), { n: 1 })
  t.same(await state.ledgerMismatches(), [])
})

t.test('the same key for another user or another amount is 422 and grants nothing', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  await signUp(app, 'bob')
  await grant(app, admin.headers, 'alice')

  assertProblem(t, await grant(app, admin.headers, 'bob'), {
    status: 422,
    code: 'idempotency_key_reused',
    instance: `/api/admin/users/bob/tokens/`
  })
  t.equal((await grant(app, admin.headers, 'alice', 600)).statusCode, 422)
  t.same(await grantRows(state), { n: 1 })
})

t.test('20 simultaneous grants with one key grant exactly once', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)

  const responses = await Promise.all(Array.from({ length: 20 }, () => grant(app, admin.headers, 'alice')))

  t.ok(responses.every((response) => [201, 409].includes(response.statusCode)))
  t.same(await grantRows(state), { n: 1 })
  t.same(await state.ledgerMismatches(), [])
})

t.test('a refused debit releases the key, so a retry runs again', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)

  t.equal((await grant(app, admin.headers, 'alice', -5000, 'debit')).statusCode, 409)
  t.equal((await grant(app, admin.headers, 'alice', -5000, 'debit')).statusCode, 409, 'not a replay')
  t.same(await state.ledgerMismatches(), [])
})
