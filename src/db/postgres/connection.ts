import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { PostgresDatabase } from '../database-config.js'
import * as schema from './schema.js'

export type Db = NodePgDatabase<typeof schema> & { $client: pg.Pool }

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle/postgres', import.meta.url))

/** How long a request waits for a pooled connection before it fails with `storage_unavailable`. */
const POOL_WAIT_MS = 5000
/** A statement that runs longer than this (a lock held past any business operation's length) is cancelled. */
const STATEMENT_TIMEOUT_MS = 5000

/** The advisory lock instances take while they migrate, so that two starting together do not both apply a migration. */
const MIGRATION_LOCK = 0x61692d63 // "ai-c"

export function openPool({ url, poolSize }: PostgresDatabase): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: POOL_WAIT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS
  })
  // An idle connection the server closed is removed by the pool; without a listener the error would end the process.
  pool.on('error', () => {})
  return pool
}

/** Applies pending migrations on one connection that holds the migration lock; the next instance then finds none. */
export async function migrateUnderLock(pool: pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    // Waiting for another instance's migration, and a migration itself, may take longer than a request's statement.
    await client.query('set statement_timeout = 0')
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await migrate(drizzle({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER })
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
    await client.query('reset statement_timeout')
    client.release()
  } catch (error) {
    // The connection is closed rather than pooled: it may hold the lock or lack the statement timeout.
    client.release(true)
    throw error
  }
}
