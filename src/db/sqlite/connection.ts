import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPrivateFile, makePrivateDirectory } from '../../private-files.js'
import * as schema from './schema.js'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle/sqlite', import.meta.url))
/**
 * How long a statement waits, blocking the event loop, for another connection's lock before it fails with
 * SQLITE_BUSY; the store then tries again asynchronously until its deadline (see storage-failures.ts).
 */
export const BUSY_TIMEOUT_MS = 20

export interface Connection {
  sqlite: Database.Database
  db: Db
}

/** Opens the database with the pragmas the accounting relies on and applies pending migrations. */
export function openDatabase(databaseUrl: string, synchronous: 'normal' | 'full'): Connection {
  if (databaseUrl !== ':memory:') {
    makePrivateDirectory(dirname(databaseUrl))
    // An empty file is an empty database; SQLite gives its -wal and -shm the mode of the database file.
    createPrivateFile(databaseUrl, '')
  }
  const sqlite = new Database(databaseUrl, { timeout: BUSY_TIMEOUT_MS })
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma(`synchronous = ${synchronous.toUpperCase()}`)
  sqlite.pragma('foreign_keys = ON')
  const db = drizzle({ client: sqlite, schema })
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
  return { sqlite, db }
}
