import pg from 'pg'
import type { PostgresDatabase } from '../src/db/database-config.js'
import type { SeededHistory } from './fixtures.js'

/**
 * Gives each user their completed chats in two statements: one `INSERT … SELECT` over `generate_series` for the chats,
 * one for their `chat` ledger rows (balance_after counting down in chat order), then takes the total off the balance,
 * all in one transaction.
 */
export async function seedPostgresHistories(database: PostgresDatabase, histories: SeededHistory[], cost: number) {
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await client.query('begin')
    for (const { userId, chats } of histories) await insertCompletedChats(client, userId, chats, cost)
    await client.query('commit')
    // A million rows just written would otherwise be vacuumed by autovacuum while they are being measured, their
    // first readers would set their hint bits, and the checkpoint their WAL calls for would write them out meanwhile:
    // a server that has run for a while has done all three.
    await client.query('vacuum (analyze) users, chats, ledger')
    await client.query('checkpoint')
  } finally {
    await client.end()
  }
}

async function insertCompletedChats(client: pg.Client, userId: number, count: number, cost: number) {
  const start = Date.now() - count * 1000
  await client.query(
    `insert into chats (user_id, message, response, status, hold, cost, created_at, updated_at)
     select $1, 'seeded message ' || i, '[offline reply] seeded message ' || i, 'completed', $2::bigint, $2::bigint,
            $3::bigint + i * 1000, $3::bigint + i * 1000
     from generate_series(0, $4::integer - 1) as i
     order by i`,
    [userId, cost, start, count]
  )
  await client.query(
    `insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at)
     select user_id, -cost, 'chat', id, $2::bigint * ($3::bigint - row_number() over (order by id)), created_at
     from chats
     where user_id = $1
     order by id`,
    [userId, cost, count]
  )
  await client.query('update users set tokens = tokens - $2::bigint where id = $1', [userId, count * cost])
}
