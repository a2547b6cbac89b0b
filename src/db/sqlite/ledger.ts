import { and, eq, gte, sql } from 'drizzle-orm'
import { ledger, users, type LEDGER_REASONS } from '../schema.js'
import type { Db } from './connection.js'

export type LedgerEntry = {
  userId: number
  delta: number
  reason: (typeof LEDGER_REASONS)[number]
  chatId: number | null
  actorId?: number | null
  note?: string | null
  balanceAfter: number
  now: number
}

/**
 * Balance changes and the ledger rows that record them. Call these inside a transaction, so that a balance never
 * changes without its row.
 */
export function ledgerWrites(db: Db) {
  const debitBalance = db
    .update(users)
    .set({ tokens: sql`${users.tokens} - ${sql.placeholder('amount')}` })
    .where(and(eq(users.id, sql.placeholder('userId')), gte(users.tokens, sql.placeholder('amount'))))
    .returning({ tokens: users.tokens })
    .prepare()

  const creditBalance = db
    .update(users)
    .set({ tokens: sql`${users.tokens} + ${sql.placeholder('amount')}` })
    .where(eq(users.id, sql.placeholder('userId')))
    .returning({ tokens: users.tokens })
    .prepare()

  const insertEntry = db
    .insert(ledger)
    .values({
      userId: sql.placeholder('userId'),
      delta: sql.placeholder('delta'),
      reason: sql.placeholder('reason'),
      chatId: sql.placeholder('chatId'),
      actorId: sql.placeholder('actorId'),
      note: sql.placeholder('note'),
      balanceAfter: sql.placeholder('balanceAfter'),
      createdAt: sql.placeholder('now')
    })
    .prepare()

  return {
    record: (entry: LedgerEntry) => insertEntry.run({ actorId: null, note: null, ...entry }),
    /** One conditional update, never read-modify-write; undefined when the balance does not cover the amount. */
    tryDebit: (userId: number, amount: number): number | undefined => debitBalance.get({ userId, amount })?.tokens,
    credit(entry: Omit<LedgerEntry, 'delta' | 'balanceAfter'> & { amount: number }) {
      const credited = creditBalance.get({ userId: entry.userId, amount: entry.amount })!
      insertEntry.run({ actorId: null, note: null, ...entry, delta: entry.amount, balanceAfter: credited.tokens })
    }
  }
}
