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
import { createWriteBatcher } from './sqlite/write-batch.js'

export interface SqliteStoreOptions {
  /** Called when the background WAL checkpointer fails; the store then checkpoints as SQLite does by default. */
  onCheckpointerError?: (error: Error) => void
}

export function createSqliteStore(
  databaseUrl: string,
  synchronous: 'normal' | 'full',
  { onCheckpointerError = () => {} }: SqliteStoreOptions = {}
): Store {
  const { sqlite, db } = openDatabase(databaseUrl, synchronous)
  const checkpointer =
    databaseUrl === ':memory:'
      ? undefined
      : startCheckpointer(sqlite, { databaseUrl, synchronous, busyTimeoutMs: BUSY_TIMEOUT_MS }, onCheckpointerError)
  return {
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
  }
}
