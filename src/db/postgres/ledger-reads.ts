import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import { settledChargeColumns, VISIBLE_STATUSES } from '../storage-rules.js'
import { storedChatColumns } from './chat-history.js'
import type { LedgerAudit, LedgerMismatch, LedgerPageQuery, StoredLedgerEntry } from '../store.js'
import type { Db } from './connection.js'
import { chatMismatchQueries } from '../chat-audit.js'
import { chats, ledger, users } from './schema.js'
import { transaction } from './transaction.js'

type Row = Record<string, string | number | null>

const balanceMismatches = sql`
  select 'balance' as kind, u.username, u.tokens, coalesce(sum(l.delta), 0) as "ledgerSum"
  from ${users} u left join ${ledger} l on l.user_id = u.id
  group by u.id having u.tokens != coalesce(sum(l.delta), 0)
  order by u.id`

// Each entry against the one before it (a user's first entry against zero): a break points at the row that is off.
const chainMismatches = sql`
  select 'chain' as kind, u.username, c.id as "ledgerId", c.previous_balance as "previousBalance", c.delta,
         c.balance_after as "balanceAfter"
  from (
    select id, user_id, delta, balance_after,
           lag(balance_after, 1, 0::bigint) over (partition by user_id order by id) as previous_balance
    from ${ledger}
  ) c join ${users} u on u.id = c.user_id
  where c.previous_balance + c.delta != c.balance_after
  order by c.id`

const chatMismatches = chatMismatchQueries({ users, chats, ledger })

const counts = sql`select (select count(*) from ${users}) as users, (select count(*) from ${ledger}) as entries`

/** bigint and numeric come back from the driver as strings; the audit reports numbers, as the SQLite store does. */
const numeric = (row: Row): LedgerMismatch =>
  Object.fromEntries(
    Object.entries(row).map(([name, value]) => [name, name === 'kind' || name === 'username' ? value : Number(value)])
  ) as LedgerMismatch

/** Reading the ledger: one user's entries page by page, and the audit of every balance against its entries. */
export function ledgerReads(db: Db) {
  // One REPEATABLE READ snapshot, so that both checks and the counts agree while the service keeps writing.
  const auditLedger = transaction(
    db,
    async (tx): Promise<LedgerAudit> => {
      const { rows: countRows } = await tx.execute<{ users: string; entries: string }>(counts)
      const balance = await tx.execute<Row>(balanceMismatches)
      const chain = await tx.execute<Row>(chainMismatches)
      const chatRows = await Promise.all(chatMismatches.map((query) => tx.execute<Row>(query)))
      return {
        users: Number(countRows[0]!.users),
        entries: Number(countRows[0]!.entries),
        mismatches: [...balance.rows, ...chain.rows, ...chatRows.flatMap(({ rows }) => rows)].map(numeric)
      }
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' }
  )

  return {
    listLedger: async ({ userId, beforeId, limit }: LedgerPageQuery): Promise<StoredLedgerEntry[]> =>
      db
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
        .where(and(eq(ledger.userId, userId), beforeId === undefined ? undefined : lt(ledger.id, beforeId)))
        .orderBy(desc(ledger.id))
        .limit(limit),
    auditLedger
  }
}
