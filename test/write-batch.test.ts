import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { createWriteBatcher } from '../src/db/sqlite/write-batch.js'
import { isStorageUnavailable } from '../src/problems/errors.js'

/** A WAL database with a `notes` table, the connection that writes and a second one that only reads. */
function open(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'write-batch-'))
  const writer = new Database(join(dir, 'db.sqlite'))
  writer.pragma('journal_mode = WAL')
  writer.pragma('foreign_keys = ON')
  writer.exec(`
    create table parents (id integer primary key);
    create table notes (
      id integer primary key,
      parent_id integer references parents(id) deferrable initially deferred
    );
  `)
  const reader = new Database(join(dir, 'db.sqlite'), { readonly: true })
  t.teardown(() => {
    reader.close()
    writer.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const insert = writer.prepare('insert into notes (id, parent_id) values (?, ?)')
  const committedIds = () => reader.prepare('select id from notes order by id').pluck().all()
  return { writer, insert, committedIds, batched: createWriteBatcher(writer) }
}

t.test('writes queued in one turn share a transaction, and each succeeds or fails alone', async (t) => {
  const { writer, insert, committedIds, batched } = open(t)
  // A plain function, not a transaction function: the batch gives every write a savepoint of its own.
  const failing = () => {
    insert.run(2, null)
    throw new Error('refused')
  }
  let seenByOthersDuringBatch: unknown[] = []
  const results = await Promise.allSettled([
    batched(() => insert.run(1, null).changes),
    batched(failing),
    batched(() => {
      seenByOthersDuringBatch = committedIds()
      return writer.prepare('select id from notes order by id').pluck().all()
    }),
    batched(() => insert.run(3, null).changes)
  ])

  t.same(
    results.map((result) => result.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']
  )
  t.same((results[2] as PromiseFulfilledResult<unknown>).value, [1], 'a write sees the ones before it in the batch')
  t.same(seenByOthersDuringBatch, [], 'nothing is visible to other connections before the batch commits')
  t.same(committedIds(), [1, 3], 'the failed write left nothing behind')
})

t.test('a write hears of its result only once it is committed', async (t) => {
  const { insert, committedIds, batched } = open(t)
  await batched(() => insert.run(1, null))
  t.same(committedIds(), [1])
})

t.test('writes of a later turn get a transaction of their own', async (t) => {
  const { insert, committedIds, batched } = open(t)
  await batched(() => insert.run(1, null))
  const seen: unknown[][] = []
  await batched(() => {
    seen.push(committedIds())
    insert.run(2, null)
  })
  t.same(seen, [[1]], 'the first batch was committed before the second ran')
  t.same(committedIds(), [1, 2])
})

t.test('when the commit fails, every write of the batch fails and none is kept', async (t) => {
  const { insert, committedIds, batched } = open(t)
  const results = await Promise.allSettled([
    batched(() => insert.run(1, null)),
    // A deferred foreign key is checked at commit: this makes the COMMIT itself fail.
    batched(() => insert.run(2, 99))
  ])
  t.same(
    results.map((result) => result.status),
    ['rejected', 'rejected']
  )
  t.match((results[0] as PromiseRejectedResult).reason, { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })
  t.same(committedIds(), [])
})

t.test('a failure that ends the whole transaction fails the batch instead of committing the rest alone', async (t) => {
  const { writer, insert, committedIds, batched } = open(t)
  const results = await Promise.allSettled([
    batched(() => insert.run(1, null)),
    // Stands in for an I/O error or a full disk, after which SQLite has rolled the transaction back.
    batched(() => {
      writer.exec('rollback')
      throw new Error('disk I/O error')
    }),
    batched(() => insert.run(3, null))
  ])
  t.same(
    results.map((result) => result.status),
    ['rejected', 'rejected', 'rejected']
  )
  t.same(committedIds(), [], 'neither the write before nor the one after was committed')
  t.notOk(writer.inTransaction)
})

/** A second connection to the same file, as another process would have, holding the write lock until released. */
function lockFromAnotherConnection(t: Test, writer: Database.Database) {
  const other = new Database(writer.name)
  t.teardown(() => other.close())
  other.exec('begin immediate')
  return () => other.exec('commit')
}

t.test(
  'a batch that finds the write lock held waits, joined by later writes, and commits once it is free',
  async (t) => {
    const { writer, insert, committedIds } = open(t)
    writer.pragma('busy_timeout = 10')
    const batched = createWriteBatcher(writer, 2000)
    const release = lockFromAnotherConnection(t, writer)

    const first = batched(() => insert.run(1, null).changes)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const second = batched(() => insert.run(2, null).changes)
    t.same(committedIds(), [], 'nothing ran while the lock was held')
    release()
    t.same(await Promise.all([first, second]), [1, 1])
    t.same(committedIds(), [1, 2])
  }
)

t.test(
  'a write still waiting for the lock at its deadline fails as storage_unavailable and runs nothing',
  async (t) => {
    const { writer, insert, committedIds } = open(t)
    writer.pragma('busy_timeout = 10')
    const batched = createWriteBatcher(writer, 300)
    const release = lockFromAnotherConnection(t, writer)
    let ran = false

    const result = await batched(() => {
      ran = true
      return insert.run(1, null)
    }).catch((error: unknown) => error)
    release()
    t.ok(isStorageUnavailable(result))
    t.match((result as Error).cause, { code: 'SQLITE_BUSY' })
    t.notOk(ran)
    t.notOk(writer.inTransaction)
    await batched(() => insert.run(2, null))
    t.same(committedIds(), [2], 'the next write gets a batch of its own')
  }
)
