import pg from 'pg'
import t from 'tap'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { createStore } from '../src/db/create-store.js'
import { MIGRATIONS_FOLDER } from '../src/db/postgres/connection.js'
import { isStorageUnavailable } from '../src/problems/errors.js'
import { createPostgresDatabase, TEST_DATABASE_URL } from './postgres-test-database.js'

const serverUrl = TEST_DATABASE_URL

if (!serverUrl) {
  console.log('# SKIPPED: PostgreSQL start-up and failure tests (set TEST_DATABASE_URL)')
} else {
  t.test('two stores opening together on a fresh database apply each migration once, under the lock', async (t) => {
    const { url, drop } = await createPostgresDatabase(serverUrl)
    const stores = await Promise.all([1, 2, 3].map(() => createStore({ kind: 'postgres', url, poolSize: 2 })))
    t.teardown(async () => {
      for (const store of stores) await store.close()
      await drop()
    })
    const readiness = await Promise.all(stores.map((store) => store.checkReadiness()))
    t.same(
      readiness,
      stores.map(() => ({ database: 'ok', migrations: 'ok' }))
    )
    const created = await Promise.all(
      stores.map((store, index) =>
        store.createUser({
          username: `user${index}`,
          usernameKey: `user${index}`,
          usernameSkeleton: `user${index}`,
          passwordHash: 'hash',
          initialTokens: 10,
          now: 1
        })
      )
    )
    t.ok(
      created.every(({ created }) => created),
      'every store works on the migrated database'
    )
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { rows } = await client.query('select hash from drizzle.__drizzle_migrations')
      t.equal(rows.length, readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length, 'each recorded once')
    } finally {
      await client.end()
    }
  })

  t.test('a store on a server that does not answer fails with storage_unavailable and is not ready', async (t) => {
    const store = await createStore({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 })
    t.teardown(() => store.close())
    const failure = await store.getBalance(1).then(
      () => undefined,
      (error: unknown) => error
    )
    t.ok(isStorageUnavailable(failure), 'storage_unavailable')
    t.same(await store.checkReadiness(), { database: 'unreachable', migrations: 'unknown' })
  })

  t.test(
    'a statement held past its timeout by a lock, and a request that finds no free connection, are storage_unavailable',
    async (t) => {
      const { url, drop } = await createPostgresDatabase(serverUrl)
      const store = await createStore({ kind: 'postgres', url, poolSize: 1 })
      const locker = new pg.Client({ connectionString: url })
      t.teardown(async () => {
        await locker.end()
        await store.close()
        await drop()
      })
      const created = await store.createUser({
        username: 'alice',
        usernameKey: 'alice',
        usernameSkeleton: 'alice',
        passwordHash: 'hash',
        initialTokens: 10,
        now: 1
      })
      t.ok(created.created)
      await locker.connect()
      await locker.query('begin')
      await locker.query("select * from users where username_key = 'alice' for update")
      const outcome = (operation: Promise<unknown>) =>
        operation.then(
          () => 'ok',
          (error: unknown) => error
        )
      const grant = outcome(store.adjustBalance({ usernameKey: 'alice', delta: 5, actorId: null, note: null, now: 2 }))
      const read = outcome(store.getBalance(1))
      const [granted, balance] = await Promise.all([grant, read])
      await locker.query('rollback')
      t.ok(isStorageUnavailable(granted), 'the grant waited on the lock past the statement timeout')
      t.ok(isStorageUnavailable(balance), 'the read found the only connection taken past the pool wait')
      t.match(await store.getBalance(1), { tokens: 10 }, 'nothing changed, and the store serves again')
    }
  )
}
