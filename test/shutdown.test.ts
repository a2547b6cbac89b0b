import { existsSync } from 'node:fs'
import { request } from 'node:http'
import t from 'tap'
import { PASSWORD, testConfig } from './helper.js'
import { startServer } from './server-process.js'
import { openStoredState } from './stored-state.js'

/** Sends the headers and the first half of a registration, and returns a function that sends the rest. */
function startSlowRegistration(baseUrl: string, username: string) {
  const body = JSON.stringify({ username, password: PASSWORD })
  const half = Math.floor(body.length / 2)
  const outgoing = request(`${baseUrl}/api/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': username }
  })
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    outgoing.on('response', (incoming) => {
      let text = ''
      incoming.on('data', (chunk) => (text += chunk))
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }))
    })
    outgoing.on('error', reject)
  })
  outgoing.write(body.slice(0, half))
  return { response, finish: () => outgoing.end(body.slice(half)) }
}

t.test(
  'SIGTERM lets a request in flight finish, refuses new connections, closes the database and exits 0',
  async (t) => {
    const server = await startServer(t)
    const registration = startSlowRegistration(server.baseUrl, 'inflight')
    await server.logged((line) => line.reqId === 'inflight' && line.msg === 'incoming request')

    server.child.kill('SIGTERM')
    await server.logged((line) => line.msg === 'shutting down')
    registration.finish()

    const answer = await registration.response
    t.equal(answer.status, 201, 'the request in flight was answered')
    await t.rejects(fetch(`${server.baseUrl}/healthz`), 'a new connection is refused')
    t.match(JSON.parse(answer.body), { username: 'inflight', tokens: 4000 })
    t.equal(await server.exited, 0, 'the process exits with status 0')
    t.ok(
      server.lines.some((line) => line.msg === 'closed'),
      'the app closed'
    )
    t.notOk(existsSync(`${server.databaseUrl}-wal`), 'the database was closed (its write-ahead log checkpointed away)')
    const state = await openStoredState(testConfig({ DATABASE_URL: server.databaseUrl }).database)
    t.teardown(() => state.close())
    t.same(
      (await state.users()).map(({ username }) => ({ username })),
      [{ username: 'inflight' }]
    )
  }
)

t.test('a request still running at SHUTDOWN_TIMEOUT is cut off and the process exits 1', async (t) => {
  const server = await startServer(t, { SHUTDOWN_TIMEOUT: '1s' })
  const registration = startSlowRegistration(server.baseUrl, 'stuck')
  registration.response.catch(() => {})
  await server.logged((line) => line.reqId === 'stuck' && line.msg === 'incoming request')
  const signalled = Date.now()

  server.child.kill('SIGTERM')

  t.equal(await server.exited, 1, 'the process exits with status 1')
  t.ok(Date.now() - signalled >= 900, 'it waited for the deadline')
  t.ok(
    server.lines.some((line) => line.msg === 'requests still running at the shutdown deadline; exiting'),
    'the deadline is logged'
  )
})
