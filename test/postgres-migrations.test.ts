import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import t from 'tap'
import { createStore } from '../src/db/create-store.js'
import type { Store } from '../src/db/store.js'
import { MIGRATIONS_FOLDER } from '../src/db/postgres/connection.js'
import { migrationsUpTo } from './migrations-folder.js'
import { createPostgresDatabase, TEST_DATABASE_URL } from './postgres-test-database.js'
import { scratchDirectory } from './scratch-directory.js'

const serverUrl = TEST_DATABASE_URL

if (!serverUrl) {
  console.log('# SKIPPED: PostgreSQL upgrade test (set TEST_DATABASE_URL)')
} else {
  t.test(
    'a PostgreSQL database of the first release migrates with its chats held, settled and rolled up',
    async (t) => {
      const database = await createPostgresDatabase(serverUrl)
      const pool = new pg.Pool({ connectionString: database.url })
      // The forced drop ends idle connections; without a listener that would end the test process.
      pool.on('error', () => {})
      let store: Store | undefined
      t.teardown(async () => {
        await store?.close()
        await pool.end()
        await database.drop()
      })
      await migrate(drizzle({ client: pool }), {
        migrationsFolder: migrationsUpTo(MIGRATIONS_FOLDER, scratchDirectory(t), 1)
      })
      await pool.query(`
      insert into users (username, username_key, password_hash, tokens, created_at) values ('alice', 'alice', 'h', 3890, 1);
      insert into chats (user_id, message, response, status, model, prompt_tokens, completion_tokens, cost, created_at, updated_at)
        values (1, 'hi', 'hello', 'completed', 'llama3.2', 12, 5, 100, 2, 3),
               (1, 'and?', null, 'failed', null, null, null, 100, 86400001, 86400002),
               (1, 'more', null, 'pending', null, null, null, 10, 86400003, 86400003);
      insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at) values
        (1, 4000, 'signup', null, 4000, 1), (1, -100, 'chat', 1, 3900, 2), (1, -100, 'chat', 2, 3800, 86400001),
        (1, 100, 'refund', 2, 3900, 86400002), (1, -10, 'chat', 3, 3890, 86400003);`)

      store = await createStore({ kind: 'postgres', url: database.url, poolSize: 2 })
      t.same(await store.checkReadiness(), { database: 'ok', migrations: 'ok' })

      const { rows: chats } = await pool.query(
        'select id, model, upstream_model, hold::int, cost::int, cached_tokens, usage_source from chats order by id'
      )
      t.same(chats, [
        {
          id: 1,
          model: 'llama3.2',
          upstream_model: 'llama3.2',
          hold: 100,
          cost: 100,
          cached_tokens: 0,
          usage_source: 'provider'
        },
        { id: 2, model: null, upstream_model: null, hold: 100, cost: 100, cached_tokens: null, usage_source: null },
        { id: 3, model: null, upstream_model: null, hold: 10, cost: 10, cached_tokens: null, usage_source: null }
      ])
      const { rows: usage } = await pool.query(
        'select user_id, day, model, requests::int, prompt_tokens::int, completion_tokens::int, credits::int from usage_daily'
      )
      t.same(usage, [
        { user_id: 1, day: 0, model: 'llama3.2', requests: 1, prompt_tokens: 12, completion_tokens: 5, credits: 100 }
      ])
      t.same((await store.auditLedger()).mismatches, [], 'the migrated books still balance, chat by chat')
      t.equal(await store.refundChat({ chatId: 3, reason: 'an old pending chat', now: 86400004 }), true)
      t.same((await store.getBalance(1))?.tokens, 3900, 'the old pending chat refunds its hold')
    }
  )
}
