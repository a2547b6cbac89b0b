import { eq, sql } from 'drizzle-orm'
import type { SpendStanding } from '../spend-limits.js'
import { spendPeriods } from '../storage-rules.js'
import type { MonthlyLimitChange, UserSpend } from '../store.js'
import type { Db } from './connection.js'
import { apiKeys, users } from './schema.js'
import type { Tx } from './transaction.js'

/** A user's balance, limits and spend, and those of the API key, read as they are now (see reserve-chat.ts). */
export async function spendStanding(
  db: Db,
  userId: number,
  apiKeyId: number | undefined
): Promise<SpendStanding | undefined> {
  const [row] = await db
    .select({
      balance: users.tokens,
      monthlyLimit: users.monthlyLimit,
      adminMonthlyLimit: users.adminMonthlyLimit,
      spendMonth: users.spendMonth,
      monthSpent: users.monthSpent,
      // drizzle reads a joined object as missing when its first column is null: the id is null only for no key.
      key: {
        id: apiKeys.id,
        dailyLimit: apiKeys.dailyLimit,
        monthlyLimit: apiKeys.monthlyLimit,
        spendDay: apiKeys.spendDay,
        daySpent: apiKeys.daySpent,
        spendMonth: apiKeys.spendMonth,
        monthSpent: apiKeys.monthSpent
      }
    })
    .from(users)
    .leftJoin(apiKeys, sql`${apiKeys.id} = ${apiKeyId ?? null}`)
    .where(eq(users.id, userId))
  if (!row) return undefined
  const { key } = row
  return {
    balance: row.balance,
    monthlyLimit: row.monthlyLimit,
    adminMonthlyLimit: row.adminMonthlyLimit,
    month: { period: row.spendMonth, spent: row.monthSpent },
    key: key
      ? {
          dailyLimit: key.dailyLimit,
          monthlyLimit: key.monthlyLimit,
          day: { period: key.spendDay, spent: key.daySpent },
          month: { period: key.spendMonth, spent: key.monthSpent }
        }
      : undefined
  }
}

/** `spent` less `amount` while `period` is still the chat's, never below zero; else as it is. */
const givenBack = (period: unknown, spent: unknown, chatPeriod: number, amount: number) =>
  sql`case when ${period} = ${chatPeriod} then greatest(0, ${spent} - ${amount}::bigint) else ${spent} end`

/**
 * Takes what a refund gives back off the spend of the periods the chat was reserved in, where those are still the
 * stored ones: the key first, then the user, in the order every charging step locks them (see reserve-chat.ts).
 */
export async function giveBackSpend(
  tx: Tx,
  chat: { userId: number; apiKeyId: number | null; createdAt: number },
  amount: number
) {
  const { day, month } = spendPeriods(chat.createdAt)
  if (chat.apiKeyId !== null) {
    await tx
      .update(apiKeys)
      .set({
        daySpent: givenBack(apiKeys.spendDay, apiKeys.daySpent, day, amount),
        monthSpent: givenBack(apiKeys.spendMonth, apiKeys.monthSpent, month, amount)
      })
      .where(eq(apiKeys.id, chat.apiKeyId))
  }
  await tx
    .update(users)
    .set({ monthSpent: givenBack(users.spendMonth, users.monthSpent, month, amount) })
    .where(eq(users.id, chat.userId))
}

const spendColumns = {
  userId: users.id,
  monthlyLimit: users.monthlyLimit,
  adminMonthlyLimit: users.adminMonthlyLimit,
  spendMonth: users.spendMonth,
  monthSpent: users.monthSpent
}

interface SpendRow {
  userId: number
  monthlyLimit: number | null
  adminMonthlyLimit: number | null
  spendMonth: number
  monthSpent: number
}

const toSpend = (row: SpendRow | undefined): UserSpend | undefined =>
  row && {
    userId: row.userId,
    monthlyLimit: row.monthlyLimit,
    adminMonthlyLimit: row.adminMonthlyLimit,
    month: { period: row.spendMonth, spent: row.monthSpent }
  }

/** The monthly limits of users (`SpendLimitStore`). */
export function spendLimitQueries(db: Db) {
  return {
    getUserSpend: async (userId: number): Promise<UserSpend | undefined> => {
      const [row] = await db.select(spendColumns).from(users).where(eq(users.id, userId))
      return toSpend(row)
    },
    setMonthlyLimit: async ({ userId, setBy, limit }: MonthlyLimitChange): Promise<UserSpend | undefined> => {
      const [row] = await db
        .update(users)
        .set(setBy === 'user' ? { monthlyLimit: limit } : { adminMonthlyLimit: limit })
        .where(eq(users.id, userId))
        .returning(spendColumns)
      return toSpend(row)
    }
  }
}
