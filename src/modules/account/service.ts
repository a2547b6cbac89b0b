import { spentIn } from '../../db/spend-limits.js'
import { spendPeriods } from '../../db/storage-rules.js'
import type { AccountStore, SpendLimitStore, UserSpend } from '../../db/store.js'
import { TokenNotValidError } from '../../problems/errors.js'
import type { AccountUpdate, SpendLimits } from './schemas.js'

export async function getTokenBalance(store: AccountStore, userId: number) {
  const balance = await store.getBalance(userId)
  if (!balance) throw new TokenNotValidError()
  return balance
}

export async function getSpendLimits(store: SpendLimitStore, userId: number): Promise<SpendLimits> {
  return toSpendLimits(await store.getUserSpend(userId))
}

/** Sets (or with null removes) the caller's own monthly limit; an administrator's stays as it is. */
export async function updateAccount(store: SpendLimitStore, userId: number, update: AccountUpdate) {
  return toSpendLimits(await store.setMonthlyLimit({ userId, setBy: 'user', limit: update.monthly_limit }))
}

/** This month's spend: a spend stored for an earlier month is none. */
function toSpendLimits(spend: UserSpend | undefined): SpendLimits {
  if (!spend) throw new TokenNotValidError()
  const { month, monthResetAt } = spendPeriods(Date.now())
  return {
    monthly_limit: spend.monthlyLimit,
    admin_monthly_limit: spend.adminMonthlyLimit,
    month_spent: spentIn(spend.month, month),
    month_resets_at: new Date(monthResetAt).toISOString()
  }
}
