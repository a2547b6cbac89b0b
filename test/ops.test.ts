import inject from 'light-my-request'
import t from 'tap'
import { assertProblem, build } from './helper.js'

t.test('GET /healthz answers 200 {status: ok}', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json\b/)
  t.same(response.json(), { status: 'ok' })
})

t.test('GET /readyz answers 200 when the database answers and is migrated', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok', limits: 'ok' } })
})

t.test('GET /readyz answers 503 not_ready when the newest migration is not applied', async (t) => {
  const { app, state } = await build(t)
  await state.tamper.forgetNewestMigration()

  const response = await app.inject({ method: 'GET', url: '/readyz' })

  assertProblem(t, response, {
    status: 503,
    code: 'not_ready',
    instance: '/readyz',
    detail: 'The service is not ready: migrations pending',
    extensions: { checks: { database: 'ok', migrations: 'pending', limits: 'ok' } }
  })
})

t.test('GET /readyz answers 503 not_ready when the migrations table is gone', async (t) => {
  const { app, state } = await build(t)
  await state.tamper.forgetMigrations()

  const response = await app.inject({ method: 'GET', url: '/readyz' })

  t.equal(response.statusCode, 503)
  t.same(response.json().checks, { database: 'ok', migrations: 'pending', limits: 'ok' })
})

t.test('GET /readyz answers 503 not_ready when the database cannot be reached', async (t) => {
  const { app } = await build(t)
  await app.store.close()

  const response = await app.inject({ method: 'GET', url: '/readyz' })

  assertProblem(t, response, {
    status: 503,
    code: 'not_ready',
    instance: '/readyz',
    detail: 'The service is not ready: database unreachable, migrations unknown',
    extensions: { checks: { database: 'unreachable', migrations: 'unknown', limits: 'ok' } }
  })
})

t.test('the probes need no token and answer other methods with 405', async (t) => {
  const { app } = await build(t)
  for (const url of ['/healthz', '/readyz', '/metrics']) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, `GET ${url}`)
    const response = await app.inject({ method: 'POST', url })
    t.equal(response.statusCode, 405, `POST ${url}`)
    t.equal(response.headers.allow, 'GET, HEAD')
  }
})

t.test(
  'once the app is closing, a request that still arrives gets 503 shutting_down and Connection: close',
  async (t) => {
    const { app } = await build(t)
    await app.close()

    // app.inject refuses a closed app, so the request goes straight to Fastify's router, as a kept-alive socket's would.
    const response = await inject(app.routing, { method: 'GET', url: '/readyz' })

    assertProblem(t, response, { status: 503, code: 'shutting_down', instance: '/readyz' })
    t.equal(response.headers.connection, 'close')
  }
)
