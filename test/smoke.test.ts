import t from 'tap'
import { build, ledgerMismatches, signUp } from './helper.js'

t.test('a registered user can read their balance', async (t) => {
  const { app, db } = await build(t)
  const { headers } = await signUp(app)
  const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { username: 'alice', tokens: 4000 })
  t.same(ledgerMismatches(db), [])
})
