import { sql } from 'drizzle-orm'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import type { Readiness } from '../store.js'
import { MIGRATIONS_FOLDER, type Db } from './connection.js'

/**
 * The pool answers, and drizzle's record of applied migrations (in the `drizzle` schema) reaches the newest migration
 * this build ships. `migrated` is the start-up migration: until it has finished the store is not ready.
 */
export function readinessQueries(db: Db, migrated: Promise<unknown>) {
  const newestMigration = Math.max(
    0,
    ...readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => m.folderMillis)
  )

  const checkReadiness = async (): Promise<Readiness> => {
    try {
      await db.execute(sql`select 1`)
    } catch {
      return { database: 'unreachable', migrations: 'unknown' }
    }
    try {
      await migrated
      const { rows } = await db.execute<{ applied: string | null }>(
        sql`select max(created_at) as applied from drizzle.__drizzle_migrations`
      )
      return { database: 'ok', migrations: Number(rows[0]?.applied ?? 0) >= newestMigration ? 'ok' : 'pending' }
    } catch {
      return { database: 'ok', migrations: 'pending' }
    }
  }

  return { checkReadiness }
}
