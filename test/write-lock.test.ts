import { spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import t, { type Test } from 'tap'
import { BUSY_DEADLINE_MS } from '../src/db/sqlite/storage-failures.js'
import { build, PASSWORD, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

/** Another process, as a backup or an operator's sqlite3 shell would be, holding the database's write lock. */
const LOCK_HOLDER = `
const Database = require('better-sqlite3')
const db = new Database(process.env.LOCKED_DATABASE)
db.exec('BEGIN IMMEDIATE')
console.log('locked')
setTimeout(() => {
  db.exec('COMMIT')
  db.close()
  console.log('released')
}, Number(process.env.LOCK_MS))
`

/** Resolves once the lock is held; `released` resolves when the other process has let it go. */
async function holdWriteLock(t: Test, databaseUrl: string, lockMs: number) {
  const child = spawn(process.execPath, ['-e', LOCK_HOLDER], {
    env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', LOCKED_DATABASE: databaseUrl, LOCK_MS: String(lockMs) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  t.equal((await lines.next()).value, 'locked')
  return { released: lines.next().then(() => undefined) }
}

const provider = providerFrom('scripted', async () => ({ text: 'Hello', model: 'test-model', usage: null }))

async function serve(t: Test) {
  const built = await build(t, {}, { provider })
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = built.app.server.address() as AddressInfo
  return { ...built, baseUrl: `http://127.0.0.1:${port}` }
}

async function accountState(state: StoredState) {
  return {
    tokens: (await state.users()).map(({ tokens }) => tokens),
    ledgerRows: (await state.ledger()).length
  }
}

function post(baseUrl: string, path: string, body: object, headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body)
  })
}

/** Milliseconds each request took, asked one after another until `until` settles. */
async function probeUntil(until: Promise<unknown>, urls: string[], headers: Record<string, string>) {
  let done = false
  void until.then(() => (done = true))
  const took: number[] = []
  const failures: number[] = []
  while (!done) {
    for (const url of urls) {
      const started = performance.now()
      const response = await fetch(url, { headers })
      await response.arrayBuffer()
      took.push(performance.now() - started)
      if (response.status !== 200) failures.push(response.status)
    }
  }
  return { took, failures }
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.ceil(sorted.length * 0.99) - 1]!
}

t.test(
  'while another process holds the write lock for 7 s, probes and reads answer and writes fail cleanly after the deadline',
  async (t) => {
    const { app, state, databaseUrl, baseUrl } = await serve(t)
    const { headers } = await signUp(app)
    const before = await accountState(state)
    const { released } = await holdWriteLock(t, databaseUrl, 7000)

    const sentAt = performance.now()
    const chat = post(baseUrl, '/api/chat_msg/', { message: 'Hi' }, headers).then(async (response) => ({
      response,
      body: await response.json(),
      took: performance.now() - sentAt
    }))
    const registration = post(baseUrl, '/api/register/', { username: 'bob', password: PASSWORD })
    const probes = await probeUntil(released, [`${baseUrl}/healthz`, `${baseUrl}/api/tokenbalance/`], headers)

    const { response, body, took } = await chat
    t.equal(response.status, 503)
    t.match(response.headers.get('content-type'), /^application\/problem\+json/)
    t.match(body, { code: 'storage_unavailable', status: 503 })
    t.ok(response.headers.get('retry-after'), 'says when to try again')
    t.ok(took >= BUSY_DEADLINE_MS - 250, `the reservation kept trying until the deadline (${Math.round(took)} ms)`)
    t.equal((await registration).status, 503, 'a registration, outside the group commit, fails the same way')

    t.same(probes.failures, [], 'every probe and balance read answered 200')
    t.ok(probes.took.length >= 20, `probed throughout the lock (${probes.took.length} requests)`)
    t.ok(p99(probes.took) < 100, `p99 of probes and reads under 100 ms (${p99(probes.took).toFixed(1)} ms)`)
    t.same(await accountState(state), before, 'nothing was charged and no ledger row written')
    t.equal(await state.countChats(), 0)
    t.equal((await state.users()).filter(({ username }) => username === 'bob').length, 0)

    const after = await post(baseUrl, '/api/chat_msg/', { message: 'Hi again' }, headers)
    t.equal(after.status, 201, 'a chat sent once the lock is released succeeds')
    t.same(await accountState(state), { tokens: [before.tokens[0]! - 100], ledgerRows: before.ledgerRows + 1 })
    t.same(await state.ledgerMismatches(), [])
  }
)

t.test('writes blocked for less than the deadline wait for the lock and succeed', async (t) => {
  const { app, state, databaseUrl, baseUrl } = await serve(t)
  const { headers } = await signUp(app)
  await holdWriteLock(t, databaseUrl, 1000)
  const lockedAt = performance.now()

  const [chat, registration] = await Promise.all([
    post(baseUrl, '/api/chat_msg/', { message: 'Hi' }, headers),
    post(baseUrl, '/api/register/', { username: 'bob', password: PASSWORD })
  ])
  const waited = performance.now() - lockedAt
  t.ok(waited >= 900, `both waited for the other process to let go (${Math.round(waited)} ms)`)
  t.equal(chat.status, 201)
  t.equal(registration.status, 201)
  t.equal(await state.countChats('completed'), 1)
  t.same(await state.ledgerMismatches(), [])
})
