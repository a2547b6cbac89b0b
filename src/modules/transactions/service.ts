import type { LedgerStore, StoredLedgerEntry } from '../../db/store.js'
import { usageOf } from '../chat/history.js'
import { rowIdOf, toPage } from '../common/pages.js'
import { DEFAULT_PAGE_SIZE } from '../common/schemas.js'
import type { Transaction, TransactionPageQuery } from './schemas.js'

/** The caller's own ledger, newest first; who made an adjustment stays private to the administrators. */
export async function listTransactions(
  store: LedgerStore,
  userId: number,
  { cursor, limit = DEFAULT_PAGE_SIZE }: TransactionPageQuery
) {
  const rows = await store.listLedger({
    userId,
    beforeId: cursor === undefined ? undefined : rowIdOf(cursor),
    limit: limit + 1
  })
  return toPage(rows, limit, toTransaction, (entry) => String(entry.id))
}

function toTransaction(entry: StoredLedgerEntry): Transaction {
  return {
    id: entry.id,
    delta: entry.delta,
    reason: entry.reason,
    chat_id: entry.chatId,
    balance_after: entry.balanceAfter,
    note: entry.note,
    timestamp: new Date(entry.createdAt).toISOString(),
    chat: entry.chat && {
      model: entry.chat.model,
      api_key_id: entry.chat.apiKeyId,
      cost: entry.chat.cost,
      usage: usageOf(entry.chat),
      usage_source: entry.chat.usageSource
    }
  }
}
