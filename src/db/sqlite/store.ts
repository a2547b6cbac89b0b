import type { SqliteDatabase } from '../database-config.js'
import { DatabaseStartupError } from '../startup-error.js'
import type { Store, StoreOptions } from '../store.js'
import { apiKeyQueries } from './api-keys.js'
import { startCheckpointer } from './checkpointer.js'
import { chargingQueries } from './charging.js'
import { chatLeaseQueries } from './chat-leases.js'
import { chatHistoryQueries } from './chat-history.js'
import { BUSY_TIMEOUT_MS, openDatabase } from './connection.js'
import { idempotencyQueries } from './idempotency.js'
import { conversationQueries } from './conversations.js'
import { revocationQueries } from './revocations.js'
import { readinessQueries } from './readiness.js'
import { sessionQueries } from './sessions.js'
import { userQueries } from './users.js'
import { accountQueries } from './accounts.js'
import { accountDeletionQueries } from './account-deletion.js'
import { ledgerReads } from './ledger-reads.js'
import { ledgerWrites } from './ledger.js'
import { usageReportQueries } from './usage-reports.js'
import { spendLimitQueries } from './spend-limits.js'
import { isStorageFailure, withStorageFailures } from './storage-failures.js'
import { createWriteBatcher } from './write-batch.js'

/** The embedded store: one SQLite file (or `:memory:`), its WAL checkpointed by a worker thread. */
export function createSqliteStore(
  { path: databaseUrl, synchronous }: SqliteDatabase,
  { onBackgroundError = () => {} }: StoreOptions = {}
): Store {
  const { sqlite, db } = openOrExplain(databaseUrl, synchronous)
  const checkpointer =
    databaseUrl === ':memory:'
      ? undefined
      : startCheckpointer(sqlite, { databaseUrl, synchronous, busyTimeoutMs: BUSY_TIMEOUT_MS }, (error) =>
          onBackgroundError(error, 'the WAL checkpointer failed; requests checkpoint until it has restarted')
        )
  const ledger = ledgerWrites(db)
  const batched = createWriteBatcher(sqlite)
  return withStorageFailures({
    ...userQueries(db, ledger),
    ...sessionQueries(db),
    ...revocationQueries(db),
    ...idempotencyQueries(db),
    ...chargingQueries(db, ledger, batched),
    ...chatLeaseQueries(db),
    ...chatHistoryQueries(db),
    ...conversationQueries(db),
    ...readinessQueries(db),
    ...ledgerReads(db),
    ...accountQueries(db, ledger),
    ...accountDeletionQueries(db, batched),
    ...usageReportQueries(db),
    ...apiKeyQueries(db, batched),
    ...spendLimitQueries(db),
    close: async () => {
      await checkpointer?.stop()
      sqlite.close()
    }
  })
}

/**
 * drizzle's migrator answers a failed migration with ROLLBACK; when SQLite has already rolled the transaction back
 * itself, which it does after a full disk, an I/O error or running out of memory, that ROLLBACK fails and its error
 * replaces the one that said why.
 */
const MIGRATION_ROLLED_BACK_BY_SQLITE = /cannot rollback - no transaction is active/

/** A disk that is full or cannot be written stops the start with one line that says so; a bug keeps its stack. */
function openOrExplain(databaseUrl: string, synchronous: 'normal' | 'full') {
  try {
    return openDatabase(databaseUrl, synchronous)
  } catch (error) {
    const fileSystemError = error instanceof Error && 'syscall' in error
    if (isStorageFailure(error) || fileSystemError) throw new DatabaseStartupError(databaseUrl, error)
    if (MIGRATION_ROLLED_BACK_BY_SQLITE.test(String((error as Error).cause))) {
      throw new DatabaseStartupError(
        databaseUrl,
        new Error('the migrations could not be written: the disk is full or failing')
      )
    }
    throw error
  }
}
