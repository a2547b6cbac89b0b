import { and, eq, gte, isNull, lte, sql } from 'drizzle-orm'
import { MAX_BALANCE, type LedgerEntry } from '../storage-rules.js'
import { chats, ledger, users } from './schema.js'
import type { Db } from './connection.js'

/**
 * A placeholder for an amount of tokens, as an SQLite INTEGER. better-sqlite3 binds every JavaScript number as REAL,
 * and SQLite then adds in doubles: 2^53 − 1 plus 100 comes out as …092. The cast in the statement itself makes the
 * arithmetic exact 64-bit integer arithmetic whatever a caller passes, and reads stay JavaScript numbers (binding
 * BigInts would do the same, but only where every caller remembers to convert).
 */
export const tokenAmount = (name: string) => sql`cast(${sql.placeholder(name)} as integer)`

/**
 * What the pending chats of the user in the `userId` placeholder have reserved: the refunds that may still come. The
 * user is named by the placeholder, not by the outer query's column: drizzle leaves the table off the columns of a
 * select from one table, and `user_id = id` would then compare two columns of chats.
 */
const pendingChatCosts = sql<number>`(
  select coalesce(sum(${chats.hold}), 0) from ${chats}
  where ${chats.userId} = ${sql.placeholder('userId')} and ${chats.status} = 'pending'
)`

export type LedgerWrites = ReturnType<typeof ledgerWrites>

/**
 * Balance changes and the ledger rows that record them, prepared once per store and shared by every operation that
 * changes a balance. Call these inside a transaction, so that a balance never changes without its row.
 */
export function ledgerWrites(db: Db) {
  const debitBalance = db
    .update(users)
    .set({ tokens: sql`${users.tokens} - ${tokenAmount('amount')}` })
    .where(
      and(eq(users.id, sql.placeholder('userId')), gte(users.tokens, tokenAmount('amount')), isNull(users.deletedAt))
    )
    .returning({ tokens: users.tokens })
    .prepare()

  const creditBalance = db
    .update(users)
    .set({ tokens: sql`${users.tokens} + ${tokenAmount('amount')}` })
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  // The refunds still to come count as balance: a refund must never fail, and this keeps it within MAX_BALANCE.
  const grantBalance = db
    .update(users)
    .set({ tokens: sql`${users.tokens} + ${tokenAmount('amount')}` })
    .where(
      and(
        eq(users.id, sql.placeholder('userId')),
        lte(sql`${users.tokens} + ${pendingChatCosts}`, sql`${sql.raw(String(MAX_BALANCE))} - ${tokenAmount('amount')}`)
      )
    )
    .returning({ tokens: users.tokens })
    .prepare()

  const selectReserved = db
    .select({ reserved: pendingChatCosts })
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const entryColumns = {
    userId: sql.placeholder('userId'),
    delta: tokenAmount('delta'),
    reason: sql.placeholder('reason'),
    chatId: sql.placeholder('chatId'),
    actorId: sql.placeholder('actorId'),
    note: sql.placeholder('note'),
    createdAt: sql.placeholder('now')
  }

  const insertEntry = db
    .insert(ledger)
    .values({ ...entryColumns, balanceAfter: tokenAmount('balanceAfter') })
    .prepare()

  // A credit is the one change that is never refused, so it alone could land past MAX_BALANCE (on a balance granted
  // before the rule above existed): its balance_after is copied in SQL, exact where a JavaScript number would not be.
  const insertCreditEntry = db
    .insert(ledger)
    .values({
      ...entryColumns,
      balanceAfter: sql`(select ${users.tokens} from ${users} where ${users.id} = ${sql.placeholder('userId')})`
    })
    .prepare()

  return {
    record: (entry: LedgerEntry) => insertEntry.run({ actorId: null, note: null, ...entry }),
    /**
     * One conditional update, never read-modify-write; undefined when the balance does not cover the amount, or the
     * account is deleted (a reservation that comes after the deletion).
     */
    tryDebit: (userId: number, amount: number): number | undefined => debitBalance.get({ userId, amount })?.tokens,
    /**
     * The same for a grant, refused (undefined) when the balance plus what the user's pending chats have reserved
     * plus the grant would pass MAX_BALANCE: then no refund can take the balance past it either.
     */
    tryGrant: (userId: number, amount: number): number | undefined => grantBalance.get({ userId, amount })?.tokens,
    /** The tokens the user's pending chats have reserved. */
    reservedTokens: (userId: number): number => selectReserved.get({ userId })?.reserved ?? 0,
    credit(entry: Omit<LedgerEntry, 'delta' | 'balanceAfter'> & { amount: number }) {
      creditBalance.run({ userId: entry.userId, amount: entry.amount })
      insertCreditEntry.run({ actorId: null, note: null, ...entry, delta: entry.amount })
    }
  }
}
