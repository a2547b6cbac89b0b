import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t, { type Test } from 'tap'
import { PASSWORD, TEST_ENV } from './helper.js'

interface LogLine {
  msg: string
  reqId?: string
  [key: string]: unknown
}

/** Starts `src/server.ts` in a child process, as `npm start` does, and follows its JSON log lines. */
async function startServer(t: Test, env: Record<string, string> = {}) {
  const databaseUrl = join(t.testdir(), 'server.sqlite')
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      // tap follows child processes; measured under tsx's source maps rather than tap's, this one would garble the
      // coverage report, so it runs unmeasured.
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      ...TEST_ENV,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      ...env
    },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const lines: LogLine[] = []
  const waiters: Array<{ matches: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = []
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine
    lines.push(line)
    for (const waiter of waiters.filter(({ matches }) => matches(line))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  })
  /** Resolves with the first log line, past or future, that matches; the tap timeout bounds the wait. */
  const logged = (matches: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve) => {
      const seen = lines.find(matches)
      if (seen) resolve(seen)
      else waiters.push({ matches, resolve })
    })
  const listening = await logged((line) => line.msg.startsWith('Server listening at http://127.0.0.1:'))
  const baseUrl = listening.msg.replace('Server listening at ', '')
  return { child, exited, logged, lines, baseUrl, databaseUrl }
}

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
    const db = new Database(server.databaseUrl, { readonly: true })
    t.teardown(() => db.close())
    t.same(db.prepare('select username from users').all(), [{ username: 'inflight' }])
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
