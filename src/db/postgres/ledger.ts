import { and, eq, gte, isNull, lte, sql } from 'drizzle-orm'
import { MAX_BALANCE, type LedgerEntry } from '../storage-rules.js'
import { chats, ledger, users } from './schema.js'
import type { Tx } from './transaction.js'

/** What the user's pending chats have reserved: the refunds that may still come. */
const pendingChatCosts = (userId: number) =>
  sql`(select coalesce(sum(${chats.hold}), 0) from ${chats} where ${chats.userId} = ${userId} and ${chats.status} = 'pending')`

/**
 * Balance changes and the ledger rows that record them, for use inside a transaction, so that a balance never changes
 * without its row. Each change is one conditional UPDATE … RETURNING, never read-modify-write: the row lock it takes
 * serializes it with every other change of the user's balance.
 */
export const ledgerWrites = {
  record: async (tx: Tx, entry: LedgerEntry) => {
    await tx.insert(ledger).values({
      userId: entry.userId,
      delta: entry.delta,
      reason: entry.reason,
      chatId: entry.chatId,
      actorId: entry.actorId ?? null,
      note: entry.note ?? null,
      balanceAfter: entry.balanceAfter,
      createdAt: entry.now
    })
  },
  /** Undefined when the balance does not cover the amount, or the account is deleted. */
  tryDebit: async (tx: Tx, userId: number, amount: number): Promise<number | undefined> => {
    const [row] = await tx
      .update(users)
      .set({ tokens: sql`${users.tokens} - ${amount}` })
      .where(and(eq(users.id, userId), gte(users.tokens, amount), isNull(users.deletedAt)))
      .returning({ tokens: users.tokens })
    return row?.tokens
  },
  /**
   * Refused (undefined) when the balance plus what the user's pending chats have reserved plus the grant would pass
   * MAX_BALANCE: then no refund can take the balance past it either. The caller holds the user's row lock, so the
   * pending chats this statement counts are those committed with the balance it sees.
   */
  tryGrant: async (tx: Tx, userId: number, amount: number): Promise<number | undefined> => {
    const [row] = await tx
      .update(users)
      .set({ tokens: sql`${users.tokens} + ${amount}` })
      .where(and(eq(users.id, userId), lte(sql`${users.tokens} + ${pendingChatCosts(userId)}`, MAX_BALANCE - amount)))
      .returning({ tokens: users.tokens })
    return row?.tokens
  },
  reservedTokens: async (tx: Tx, userId: number): Promise<number> => {
    const { rows } = await tx.execute<{ reserved: string }>(sql`select ${pendingChatCosts(userId)} as reserved`)
    return Number(rows[0]?.reserved ?? 0)
  },
  /**
   * A credit is never refused, so it alone could land past MAX_BALANCE (on a balance granted before the rule existed):
   * its balance_after is copied in SQL, exact where a JavaScript number would not be.
   */
  credit: async (tx: Tx, entry: Omit<LedgerEntry, 'delta' | 'balanceAfter'> & { amount: number }) => {
    await tx
      .update(users)
      .set({ tokens: sql`${users.tokens} + ${entry.amount}` })
      .where(eq(users.id, entry.userId))
    await tx.insert(ledger).values({
      userId: entry.userId,
      delta: entry.amount,
      reason: entry.reason,
      chatId: entry.chatId,
      actorId: entry.actorId ?? null,
      note: entry.note ?? null,
      balanceAfter: sql`(select ${users.tokens} from ${users} where ${users.id} = ${entry.userId})`,
      createdAt: entry.now
    })
  }
}
