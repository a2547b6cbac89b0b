import Database from 'better-sqlite3'
import { copyFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import t from 'tap'
import { BUSY_TIMEOUT_MS } from '../src/db/sqlite/connection.js'
import { startCheckpointer } from '../src/db/sqlite/checkpointer.js'
import { build, signUp } from './helper.js'
import { scratchDirectory } from './scratch-directory.js'

/** Counts the users in a copy of the database file alone, leaving out whatever is still only in the WAL. */
function usersInDatabaseFile(databaseUrl: string, copy: string): number {
  copyFileSync(databaseUrl, copy)
  const db = new Database(copy)
  try {
    return (db.prepare('select count(*) as n from users').get() as { n: number }).n
  } catch {
    return 0 // copied halfway through a checkpoint; the next look will do
  } finally {
    db.close()
  }
}

t.test('writes reach the database file while the app runs, checkpointed off the event loop', async (t) => {
  const { app, databaseUrl } = await build(t)
  await signUp(app)
  const copy = join(dirname(databaseUrl), 'copy.sqlite')
  let users = 0
  for (let attempt = 0; attempt < 250 && users === 0; attempt++) {
    await setTimeout(20)
    users = usersInDatabaseFile(databaseUrl, copy)
  }
  t.equal(users, 1, 'the request connection checkpoints only past 10,000 pages, so the worker did it')
})

t.test('a checkpointer that cannot open the database hands checkpointing back to the request connection', async (t) => {
  const sqlite = new Database(':memory:')
  t.teardown(() => sqlite.close())
  const failed = new Promise<Error>((resolve) => {
    const checkpointer = startCheckpointer(
      sqlite,
      {
        databaseUrl: join(scratchDirectory(t), 'missing', 'db.sqlite'),
        synchronous: 'normal',
        busyTimeoutMs: BUSY_TIMEOUT_MS
      },
      resolve
    )
    t.teardown(() => checkpointer.stop())
  })
  // The worker never keeps a process alive, so the test does while it waits.
  const keepAlive = globalThis.setTimeout(() => {}, 5000)
  t.teardown(() => clearTimeout(keepAlive))
  t.match(await failed, { message: /Cannot open database/ })
  t.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000)
})

t.test('a checkpointer that failed starts again, and takes checkpointing back once it works', async (t) => {
  const sqlite = new Database(':memory:')
  t.teardown(() => sqlite.close())
  const dir = scratchDirectory(t)
  const databaseUrl = join(dir, 'later', 'db.sqlite')
  const errors: Error[] = []
  let firstError: () => void
  const failed = new Promise<void>((resolve) => (firstError = resolve))
  const checkpointer = startCheckpointer(
    sqlite,
    { databaseUrl, synchronous: 'normal', busyTimeoutMs: BUSY_TIMEOUT_MS },
    (error) => {
      errors.push(error)
      firstError()
    }
  )
  t.teardown(() => checkpointer.stop())
  const keepAlive = globalThis.setTimeout(() => {}, 10_000)
  t.teardown(() => clearTimeout(keepAlive))
  await failed
  t.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000, 'requests checkpoint while it is down')

  // The folder appears (as a disk that had filled up gets room again); the next start succeeds.
  mkdirSync(dirname(databaseUrl))
  const writer = new Database(databaseUrl)
  t.teardown(() => writer.close())
  writer.pragma('journal_mode = WAL')
  writer.pragma('wal_autocheckpoint = 0')
  writer.exec('create table users (id integer primary key); insert into users default values')
  const copy = join(dir, 'copy.sqlite')
  let users = 0
  for (let attempt = 0; attempt < 100 && users === 0; attempt++) {
    await setTimeout(50)
    users = usersInDatabaseFile(databaseUrl, copy)
  }
  t.equal(users, 1, 'the restarted worker checkpointed the WAL into the database file')
  // The worker's report of that checkpoint arrives as a message, after the file may already show it.
  const autocheckpoint = () => sqlite.pragma('wal_autocheckpoint', { simple: true })
  for (let attempt = 0; attempt < 100 && autocheckpoint() !== 10_000; attempt++) await setTimeout(20)
  t.equal(autocheckpoint(), 10_000, 'and took checkpointing back')
  t.equal(errors.length, 1, 'one failure, one restart')
})
