import { DatabaseStartupError } from './startup-error.js'
import type { Store } from './store.js'
import { startCheckpointer } from './sqlite/checkpointer.js'
import { chatQueries } from './sqlite/chats.js'
import { BUSY_TIMEOUT_MS, openDatabase } from './sqlite/connection.js'
import { idempotencyQueries } from './sqlite/idempotency.js'
import { conversationQueries } from './sqlite/conversations.js'
import { revocationQueries } from './sqlite/revocations.js'
import { readinessQueries } from './sqlite/readiness.js'
import { sessionQueries } from './sqlite/sessions.js'
import { userQueries } from './sqlite/users.js'
import { accountQueries } from './sqlite/accounts.js'
import { ledgerReads } from './sqlite/ledger-reads.js'
import { isStorageFailure, withStorageFailures } from './sqlite/storage-failures.js'
import { createWriteBatcher } from './sqlite/write-batch.js'

export interface SqliteStoreOptions {
  /** Called when the background WAL checkpointer fails; the store checkpoints as SQLite does until it restarts. */
  onCheckpointerError?: (error: Error) => void
}

export function createSqliteStore(
  databaseUrl: string,
  synchronous: 'normal' | 'full',
  { onCheckpointerError = () => {} }: SqliteStoreOptions = {}
): Store {
  const { sqlite, db } = openOrExplain(databaseUrl, synchronous)
  const checkpointer =
    databaseUrl === ':memory:'
      ? undefined
      : startCheckpointer(sqlite, { databaseUrl, synchronous, busyTimeoutMs: BUSY_TIMEOUT_MS }, onCheckpointerError)
  return withStorageFailures({
    ...userQueries(db),
    ...sessionQueries(db),
    ...revocationQueries(db),
    ...idempotencyQueries(db),
    ...chatQueries(db, createWriteBatcher(sqlite)),
    ...conversationQueries(db),
    ...readinessQueries(db),
    ...ledgerReads(db),
    ...accountQueries(db),
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
