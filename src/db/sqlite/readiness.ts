import { sql } from 'drizzle-orm'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import type { Readiness } from '../store.js'
import { MIGRATIONS_FOLDER, type Db } from './connection.js'

/**
 * drizzle's migrator records each applied migration with its folder timestamp and applies those newer than the
 * latest record, so the database is current when its latest record is at least the newest migration shipped.
 */
export function readinessQueries(db: Db) {
  const newestMigration = Math.max(
    0,
    ...readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => m.folderMillis)
  )

  const checkReadiness = (): Readiness => {
    try {
      db.get(sql`select 1`)
    } catch {
      return { database: 'unreachable', migrations: 'unknown' }
    }
    try {
      const latest = db.get<{ applied: number | null }>(
        sql`select max(created_at) as applied from __drizzle_migrations`
      )
      return { database: 'ok', migrations: Number(latest.applied ?? 0) >= newestMigration ? 'ok' : 'pending' }
    } catch {
      return { database: 'ok', migrations: 'pending' }
    }
  }

  return { checkReadiness: async () => checkReadiness() }
}
