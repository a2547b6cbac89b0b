import { createServer } from 'node:net'
import t from 'tap'
import { build, PASSWORD, signUp } from '../helper.js'

/** A port on 127.0.0.1 that nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test(
  'with Redis unreachable the limits fail open: logins and chats work, one warning, a metric, readiness says so',
  async (t) => {
    const lines: string[] = []
    const env = {
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      RATE_LIMIT: 'on',
      RATE_LIMIT_LOGIN_FAILURES: '1',
      AI_MAX_CONCURRENT_PER_USER: '1',
      LOG_LEVEL: 'warn'
    }
    const { app, state } = await build(t, env, { logStream: { write: (line) => lines.push(line) } })

    const alice = await signUp(app, 'alice')
    const wrongLogin = () =>
      app.inject({ method: 'POST', url: '/api/login/', payload: { username: 'alice', password: `not ${PASSWORD}` } })
    t.same([(await wrongLogin()).statusCode, (await wrongLogin()).statusCode], [401, 401], 'no failure was counted')
    const chats = await Promise.all(
      Array.from({ length: 3 }, () =>
        app.inject({ method: 'POST', url: '/api/chat_msg/', headers: alice.headers, payload: { message: 'Hello' } })
      )
    )
    t.same(
      chats.map((chat) => chat.statusCode),
      [201, 201, 201],
      'no in-flight slot was counted'
    )
    t.equal((await state.user('alice')).tokens, 4000 - 3 * 100, 'every chat was charged by the database')
    t.same(await state.ledgerMismatches(), [])

    const readiness = await app.inject({ method: 'GET', url: '/readyz' })
    t.equal(readiness.statusCode, 200, 'the instance stays ready')
    t.same(readiness.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok', limits: 'unreachable' } })

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    const failedOpen = Number(/^limits_unavailable_total (\d+)$/m.exec(metrics)?.[1])
    // At least one uncounted call per request: register, log in, two wrong logins, three chats.
    t.ok(failedOpen >= 7, `limits_unavailable_total ${failedOpen}`)

    const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 40)
    t.equal(warnings.length, 1, 'one warning for the whole outage so far, not one per request')
    t.match(warnings[0], { msg: /limits unreachable/, failedOpenSinceLastWarning: 1, err: { message: /writeable/ } })
  }
)
