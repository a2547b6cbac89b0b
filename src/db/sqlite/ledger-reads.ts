import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import { settledChargeColumns, VISIBLE_STATUSES } from '../storage-rules.js'
import { storedChatColumns } from './chat-history.js'
import { chatMismatchQueries } from '../chat-audit.js'
import { chats, ledger, users } from './schema.js'
import type { LedgerAudit, LedgerMismatch, LedgerPageQuery, StoredLedgerEntry } from '../store.js'
import type { Db } from './connection.js'
import { readTransaction } from './transaction.js'

/** Reading the ledger: one user's entries page by page, and the audit of every balance against its entries. */
export function ledgerReads(db: Db) {
  const selectUserEntries = db
    .select({
      id: ledger.id,
      delta: ledger.delta,
      reason: ledger.reason,
      chatId: ledger.chatId,
      balanceAfter: ledger.balanceAfter,
      note: ledger.note,
      createdAt: ledger.createdAt,
      chat: settledChargeColumns({ ...storedChatColumns, apiKeyId: chats.apiKeyId })
    })
    .from(ledger)
    .leftJoin(chats, and(eq(chats.id, ledger.chatId), inArray(chats.status, [...VISIBLE_STATUSES])))
    .where(and(eq(ledger.userId, sql.placeholder('userId')), lt(ledger.id, sql.placeholder('beforeId'))))
    .orderBy(desc(ledger.id))
    .limit(sql.placeholder('limit'))
    .prepare()

  const balanceMismatches = sql`
    select 'balance' as kind, u.username, u.tokens, coalesce(sum(l.delta), 0) as ledgerSum
    from ${users} u left join ${ledger} l on l.user_id = u.id
    group by u.id having u.tokens != coalesce(sum(l.delta), 0)
    order by u.id`

  // Each entry against the one before it (a user's first entry against zero): a break points at the row that is off.
  const chainMismatches = sql`
    select 'chain' as kind, u.username, c.id as ledgerId, c.previousBalance, c.delta, c.balance_after as balanceAfter
    from (
      select id, user_id, delta, balance_after,
             lag(balance_after, 1, 0) over (partition by user_id order by id) as previousBalance
      from ${ledger}
    ) c join ${users} u on u.id = c.user_id
    where c.previousBalance + c.delta != c.balance_after
    order by c.id`

  const chatMismatches = chatMismatchQueries({ users, chats, ledger })

  const counts = sql`select (select count(*) from ${users}) as users, (select count(*) from ${ledger}) as entries`

  // A read transaction, so that both checks and the counts see one snapshot while the service keeps writing.
  const auditLedger = readTransaction(db, (): LedgerAudit => {
    const { users: userCount, entries } = db.get<{ users: number; entries: number }>(counts)
    const mismatches = [balanceMismatches, chainMismatches, ...chatMismatches].flatMap((query) =>
      db.all<LedgerMismatch>(query)
    )
    return { users: userCount, entries, mismatches }
  })

  return {
    listLedger: async ({ userId, beforeId, limit }: LedgerPageQuery): Promise<StoredLedgerEntry[]> =>
      selectUserEntries.all({ userId, beforeId: beforeId ?? Number.MAX_SAFE_INTEGER, limit }),
    auditLedger: async () => auditLedger()
  }
}
