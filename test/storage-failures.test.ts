import Database from 'better-sqlite3'
import { join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { withStorageFailures } from '../src/db/sqlite/storage-failures.js'
import type { Store } from '../src/db/store.js'
import { isStorageUnavailable } from '../src/problems/errors.js'
import { assertProblem, build, diskFull, failingOnce, signUp } from './helper.js'
import { scratchDirectory } from './scratch-directory.js'

t.test(
  'a store call the database cannot take answers 503 storage_unavailable, logged at error with its cause',
  async (t) => {
    const logged: string[] = []
    const { app } = await build(
      t,
      { LOG_LEVEL: 'error' },
      { store: failingOnce('getBalance'), logStream: { write: (line) => logged.push(line) } }
    )
    const { headers } = await signUp(app)

    const failed = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
    assertProblem(t, failed, { status: 503, code: 'storage_unavailable', instance: '/api/tokenbalance/' })
    t.equal(failed.headers['retry-after'], '2')
    const [line] = logged.map((text) => JSON.parse(text))
    t.match(line, { level: 50, msg: 'request failed', err: { code: 'STORAGE_UNAVAILABLE' } })
    t.match(JSON.stringify(line.err), /SQLITE_FULL|database or disk is full/, 'the cause is logged')

    const retried = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
    t.equal(retried.statusCode, 200, 'the next call goes through')
  }
)

t.test('isStorageUnavailable tells the storage failure from any other error', async (t) => {
  t.ok(isStorageUnavailable(diskFull()))
  t.notOk(isStorageUnavailable(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })))
  t.notOk(isStorageUnavailable(undefined))
})

/** A database file with a `notes` table and two connections to it: `own` waits for no lock, `other` can hold one. */
function twoConnections(t: Test) {
  const file = join(scratchDirectory(t), 'notes.sqlite')
  const own = new Database(file, { timeout: 0 })
  own.pragma('journal_mode = WAL')
  own.exec('create table notes (id integer primary key, body text not null)')
  const other = new Database(file)
  t.teardown(() => {
    other.close()
    own.close()
  })
  return { own, other, insert: own.prepare('insert into notes (id, body) values (?, ?)') }
}

/** Calls `method` as the only method of a store guarded as the SQLite store's methods are. */
function guarded(method: () => unknown): Promise<unknown> {
  const store = withStorageFailures({ write: async () => method() } as unknown as Store)
  return (store as unknown as { write: () => Promise<unknown> }).write()
}

t.test(
  'a full database is storage_unavailable with the driver error as its cause; a constraint error stays',
  async (t) => {
    const { own, insert } = twoConnections(t)
    own.pragma('max_page_count = 3')
    const full = await guarded(() => insert.run(1, 'x'.repeat(20_000))).catch((error: unknown) => error)
    t.ok(isStorageUnavailable(full))
    t.match((full as Error).cause, { code: 'SQLITE_FULL' })

    own.pragma('max_page_count = 1000')
    insert.run(1, 'x')
    const duplicate = await guarded(() => insert.run(1, 'x')).catch((error: unknown) => error)
    t.notOk(isStorageUnavailable(duplicate))
    t.match(duplicate, { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
  }
)

t.test('a write that finds the lock held is tried again, off the event loop, until it succeeds', async (t) => {
  const { own, other, insert } = twoConnections(t)
  other.exec('begin immediate')
  let attempts = 0
  const written = guarded(() => {
    attempts++
    return insert.run(1, 'x').changes
  })
  await setTimeout(100)
  t.ok(attempts > 1, `tried ${attempts} times while the lock was held`)
  other.exec('commit')
  t.equal(await written, 1)
  t.equal(own.prepare('select count(*) from notes').pluck().get(), 1)
})
