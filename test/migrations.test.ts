import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openDatabase } from '../src/db/sqlite/connection.js'
import { build, PASSWORD } from './helper.js'
import { migrationsUpTo } from './migrations-folder.js'
import { scratchDirectory } from './scratch-directory.js'

const MIGRATIONS = 'drizzle/sqlite'

/** A database file as an older release, which shipped the first `count` migrations, left it with `rows` in it. */
function databaseOfRelease(t: Test, count: number, rows: string): string {
  const directory = scratchDirectory(t)
  const databaseUrl = join(directory, 'old.sqlite')
  const old = new Database(databaseUrl)
  migrate(drizzle({ client: old }), {
    migrationsFolder: migrationsUpTo(MIGRATIONS, join(directory, 'migrations'), count)
  })
  old.exec(rows)
  old.close()
  return databaseUrl
}

t.test('a database of the first release migrates to the current schema with its data intact', async (t) => {
  const directory = scratchDirectory(t)
  const databaseUrl = join(directory, 'old.sqlite')
  const old = new Database(databaseUrl)
  migrate(drizzle({ client: old }), {
    migrationsFolder: migrationsUpTo(MIGRATIONS, join(directory, 'first-release'), 1)
  })
  old.exec(`
    insert into users (username, username_key, password_hash, tokens, created_at) values ('alice', 'alice', 'h', 3900, 1);
    insert into chats (user_id, message, response, status, cost, created_at, updated_at)
      values (1, 'hi', 'hello', 'completed', 100, 2, 3);
    insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at) values
      (1, 4000, 'signup', null, 4000, 1), (1, -100, 'chat', 1, 3900, 2);`)
  old.close()

  const { sqlite } = openDatabase(databaseUrl, 'normal')
  t.teardown(() => sqlite.close())

  t.match(sqlite.prepare('select * from chats').all(), [
    {
      id: 1,
      user_id: 1,
      conversation_id: null,
      message: 'hi',
      response: 'hello',
      status: 'completed',
      model: null,
      upstream_model: null,
      hold: 100,
      cost: 100,
      usage_source: 'none'
    }
  ])
  t.same(
    sqlite.prepare('select * from usage_daily').all(),
    [
      {
        user_id: 1,
        day: 0,
        model: '',
        api_key_id: 0,
        requests: 1,
        prompt_tokens: 0,
        cached_tokens: 0,
        completion_tokens: 0,
        credits: 100
      }
    ],
    'settled chats are rolled up into the daily usage'
  )
  t.same(sqlite.prepare('select reason, delta, chat_id from ledger order by id').all(), [
    { reason: 'signup', delta: 4000, chat_id: null },
    { reason: 'chat', delta: -100, chat_id: 1 }
  ])
  t.same(sqlite.pragma('foreign_key_check'), [])
  t.doesNotThrow(() =>
    sqlite
      .prepare(
        `insert into chats (user_id, message, status, hold, cost, created_at, updated_at) values (1, 'x', 'incomplete', 100, 100, 4, 4)`
      )
      .run()
  )
})

t.test(
  'accounts of an older release get username skeletons at start-up; of two look-alikes the older keeps it',
  async (t) => {
    const databaseUrl = databaseOfRelease(
      t,
      5,
      `insert into users (username, username_key, password_hash, tokens, created_at) values
        ('pop', 'pop', 'h', 0, 1), ('рор', 'рор', 'h', 0, 2), ('Paypa1', 'paypa1', 'h', 0, 3);
      insert into users (username, username_key, password_hash, tokens, created_at)
        with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
        select 'user' || i, 'user' || i, 'h', 0, 4 from n;`
    )

    const { app, state } = await build(t, { DATABASE_URL: databaseUrl })
    const users = await state.users()
    t.same(
      users.slice(0, 3).map(({ usernameKey, usernameSkeleton }) => ({ usernameKey, usernameSkeleton })),
      [
        { usernameKey: 'pop', usernameSkeleton: 'pop' },
        { usernameKey: 'рор', usernameSkeleton: null },
        { usernameKey: 'paypa1', usernameSkeleton: 'paypal' }
      ]
    )
    t.equal(users.filter(({ usernameSkeleton }) => usernameSkeleton === null).length, 1, 'past a page')
    for (const username of ['ρορ', 'paypal']) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/register/',
        payload: { username, password: PASSWORD }
      })
      t.equal(response.statusCode, 409, `${username} looks like an older account`)
      t.equal(response.json().code, 'username_taken')
    }
  }
)

t.test('a chat left pending by a release before leases has an expired lease: the first start refunds it', async (t) => {
  const databaseUrl = databaseOfRelease(
    t,
    8,
    `insert into users (username, username_key, username_skeleton, password_hash, tokens, created_at)
      values ('alice', 'alice', 'alice', 'h', 3900, 1);
    insert into chats (user_id, message, status, cost, created_at, updated_at) values (1, 'hi', 'pending', 100, 2, 2);
    insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at) values
      (1, 4000, 'signup', null, 4000, 1), (1, -100, 'chat', 1, 3900, 2);`
  )

  const { state } = await build(t, { DATABASE_URL: databaseUrl })

  t.match(await state.chats(), [{ status: 'failed', leaseHolder: null, leaseExpiresAt: 0 }])
  t.match(await state.users(), [{ tokens: 4000 }])
})
