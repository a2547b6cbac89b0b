import type { Store } from './store.js'
import { chatQueries } from './sqlite/chats.js'
import { openDatabase } from './sqlite/connection.js'
import { idempotencyQueries } from './sqlite/idempotency.js'
import { conversationQueries } from './sqlite/conversations.js'
import { revocationQueries } from './sqlite/revocations.js'
import { readinessQueries } from './sqlite/readiness.js'
import { sessionQueries } from './sqlite/sessions.js'
import { userQueries } from './sqlite/users.js'
import { accountQueries } from './sqlite/accounts.js'
import { ledgerReads } from './sqlite/ledger-reads.js'

export function createSqliteStore(databaseUrl: string, synchronous: 'normal' | 'full'): Store {
  const { sqlite, db } = openDatabase(databaseUrl, synchronous)
  return {
    ...userQueries(db),
    ...sessionQueries(db),
    ...revocationQueries(db),
    ...idempotencyQueries(db),
    ...chatQueries(db),
    ...conversationQueries(db),
    ...readinessQueries(db),
    ...ledgerReads(db),
    ...accountQueries(db),
    close: async () => {
      sqlite.close()
    }
  }
}
