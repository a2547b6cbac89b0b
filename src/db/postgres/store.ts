import { drizzle } from 'drizzle-orm/node-postgres'
import type { PostgresDatabase } from '../database-config.js'
import type { Store } from '../store.js'
import { accountDeletionQueries } from './account-deletion.js'
import { accountQueries } from './accounts.js'
import { apiKeyQueries } from './api-keys.js'
import { chargingQueries } from './charging.js'
import { chatHistoryQueries } from './chat-history.js'
import { migrateUnderLock, openPool } from './connection.js'
import { conversationQueries } from './conversations.js'
import { idempotencyQueries } from './idempotency.js'
import { ledgerReads } from './ledger-reads.js'
import { readinessQueries } from './readiness.js'
import { revocationQueries } from './revocations.js'
import * as schema from './schema.js'
import { sessionQueries } from './sessions.js'
import { withStorageFailures } from './storage-failures.js'
import { usageReportQueries } from './usage-reports.js'
import { spendLimitQueries } from './spend-limits.js'
import { userQueries } from './users.js'

/**
 * The store for several instances: a PostgreSQL database reached through a pool of `poolSize` connections. Pending
 * migrations are applied as the store opens, under an advisory lock; every operation waits for them, so a database
 * that cannot be reached or migrated fails the first operation (at start-up: the skeleton backfill) with
 * `storage_unavailable`.
 */
export function createPostgresStore(database: PostgresDatabase): Store {
  const pool = openPool(database)
  const db = drizzle({ client: pool, schema })
  const migrated = migrateUnderLock(pool)
  // The failure is reported by the first operation that waits for the migration.
  migrated.catch(() => {})
  const { checkReadiness } = readinessQueries(db, migrated)
  const operations = withStorageFailures(
    {
      ...userQueries(db),
      ...sessionQueries(db),
      ...revocationQueries(db),
      ...idempotencyQueries(db),
      ...chargingQueries(db),
      ...chatHistoryQueries(db),
      ...conversationQueries(db),
      ...ledgerReads(db),
      ...accountQueries(db),
      ...accountDeletionQueries(db),
      ...usageReportQueries(db),
      ...apiKeyQueries(db),
      ...spendLimitQueries(db)
    },
    migrated
  )
  let closed: Promise<void> | undefined
  return {
    ...operations,
    checkReadiness,
    close: () => (closed ??= migrated.catch(() => {}).then(() => pool.end()))
  }
}
