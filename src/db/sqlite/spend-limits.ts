import { eq, sql } from 'drizzle-orm'
import type { SpendStanding } from '../spend-limits.js'
import { spendPeriods } from '../storage-rules.js'
import type { MonthlyLimitChange, UserSpend } from '../store.js'
import type { Db } from './connection.js'
import { tokenAmount } from './ledger.js'
import { apiKeys, users } from './schema.js'

/** The chat whose hold is counted or given back: its user, key and when it was reserved. */
export interface SpendingChat {
  userId: number
  apiKeyId: number | null
  createdAt: number
}

/**
 * The spend of users and API keys, counted in their UTC periods (`spendPeriods`): read for a reservation's check, added
 * to by a hold, taken off by what a settlement or refund gives back. Call inside the charging step's write
 * transaction, which holds SQLite's write lock from its first read, so that a check and the count that follows it are
 * one step.
 */
export function spendWrites(db: Db) {
  const selectStanding = db
    .select({
      balance: users.tokens,
      monthlyLimit: users.monthlyLimit,
      adminMonthlyLimit: users.adminMonthlyLimit,
      spendMonth: users.spendMonth,
      monthSpent: users.monthSpent,
      keyId: apiKeys.id,
      keyDailyLimit: apiKeys.dailyLimit,
      keyMonthlyLimit: apiKeys.monthlyLimit,
      keySpendDay: apiKeys.spendDay,
      keyDaySpent: apiKeys.daySpent,
      keySpendMonth: apiKeys.spendMonth,
      keyMonthSpent: apiKeys.monthSpent
    })
    .from(users)
    .leftJoin(apiKeys, eq(apiKeys.id, sql.placeholder('apiKeyId')))
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const countUser = db.$client.prepare(
    `update users set month_spent = ${countedSql('spend_month', 'month_spent', '@month')}, spend_month = @month
     where id = @userId`
  )
  const countKey = db.$client.prepare(
    `update api_keys set day_spent = ${countedSql('spend_day', 'day_spent', '@day')},
       month_spent = ${countedSql('spend_month', 'month_spent', '@month')}, spend_day = @day, spend_month = @month
     where id = @apiKeyId`
  )
  const giveBackUser = db.$client.prepare(
    `update users set month_spent = ${givenBackSql('spend_month', 'month_spent', '@month')} where id = @userId`
  )
  const giveBackKey = db.$client.prepare(
    `update api_keys set day_spent = ${givenBackSql('spend_day', 'day_spent', '@day')},
       month_spent = ${givenBackSql('spend_month', 'month_spent', '@month')}
     where id = @apiKeyId`
  )

  return {
    standing(userId: number, apiKeyId: number | undefined): SpendStanding | undefined {
      const row = selectStanding.get({ userId, apiKeyId: apiKeyId ?? null })
      if (!row) return undefined
      return {
        balance: row.balance,
        monthlyLimit: row.monthlyLimit,
        adminMonthlyLimit: row.adminMonthlyLimit,
        month: { period: row.spendMonth, spent: row.monthSpent },
        key:
          row.keyId === null
            ? undefined
            : {
                dailyLimit: row.keyDailyLimit,
                monthlyLimit: row.keyMonthlyLimit,
                day: { period: row.keySpendDay!, spent: row.keyDaySpent! },
                month: { period: row.keySpendMonth!, spent: row.keyMonthSpent! }
              }
      }
    },
    /** Adds a hold to the user's month and the key's day and month of the chat's reservation. */
    count(chat: SpendingChat, hold: number) {
      const { day, month } = spendPeriods(chat.createdAt)
      countUser.run({ userId: chat.userId, month, amount: hold })
      if (chat.apiKeyId !== null) countKey.run({ apiKeyId: chat.apiKeyId, day, month, amount: hold })
    },
    /** Takes what came back off the spend of the chat's periods, if they are still the stored ones; never below 0. */
    giveBack(chat: SpendingChat, amount: number) {
      if (amount === 0) return
      const { day, month } = spendPeriods(chat.createdAt)
      giveBackUser.run({ userId: chat.userId, month, amount })
      if (chat.apiKeyId !== null) giveBackKey.run({ apiKeyId: chat.apiKeyId, day, month, amount })
    }
  }
}

/** `spent` with the hold in `@amount` added, counted from zero when `period` is older than `current`. */
function countedSql(period: string, spent: string, current: string) {
  return `case when ${period} = ${current} then ${spent} + cast(@amount as integer) else cast(@amount as integer) end`
}

/** `spent` less `@amount` when `period` is still the one in `chatPeriod`, never below zero; else as it is. */
function givenBackSql(period: string, spent: string, chatPeriod: string) {
  return `case when ${period} = ${chatPeriod} then max(0, ${spent} - cast(@amount as integer)) else ${spent} end`
}

interface SpendRow {
  userId: number
  monthlyLimit: number | null
  adminMonthlyLimit: number | null
  spendMonth: number
  monthSpent: number
}

/** The monthly limits of users (`SpendLimitStore`). */
export function spendLimitQueries(db: Db) {
  const spendColumns = {
    userId: users.id,
    monthlyLimit: users.monthlyLimit,
    adminMonthlyLimit: users.adminMonthlyLimit,
    spendMonth: users.spendMonth,
    monthSpent: users.monthSpent
  }
  const selectSpend = db
    .select(spendColumns)
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()
  const setLimit = (column: 'monthlyLimit' | 'adminMonthlyLimit') =>
    db
      .update(users)
      .set({ [column]: tokenAmount('limit') })
      .where(eq(users.id, sql.placeholder('userId')))
      .returning(spendColumns)
      .prepare()
  const setters = { user: setLimit('monthlyLimit'), admin: setLimit('adminMonthlyLimit') }

  const toSpend = (row: SpendRow | undefined): UserSpend | undefined =>
    row && {
      userId: row.userId,
      monthlyLimit: row.monthlyLimit,
      adminMonthlyLimit: row.adminMonthlyLimit,
      month: { period: row.spendMonth, spent: row.monthSpent }
    }

  return {
    getUserSpend: async (userId: number): Promise<UserSpend | undefined> => toSpend(selectSpend.get({ userId })),
    setMonthlyLimit: async ({ userId, setBy, limit }: MonthlyLimitChange): Promise<UserSpend | undefined> =>
      toSpend(setters[setBy].get({ userId, limit }))
  }
}
