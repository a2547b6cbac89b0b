import { SPEND_LIMITS, spendPeriods } from './storage-rules.js'
import type { PeriodSpend, ReachedLimit, ReserveResult, SpendLimitName } from './store.js'

/** A user's limits and spend as stored, and those of the API key making the call, if any. */
export interface SpendStanding {
  balance: number
  monthlyLimit: number | null
  adminMonthlyLimit: number | null
  month: PeriodSpend
  key:
    | {
        dailyLimit: number | null
        monthlyLimit: number | null
        day: PeriodSpend
        month: PeriodSpend
      }
    | undefined
}

/** What a period spent as of `current`: a spend stored for an earlier period counts as nothing. */
export function spentIn(spend: PeriodSpend, current: number): number {
  return spend.period === current ? spend.spent : 0
}

/** Every limit that is set, in `SPEND_LIMITS` order, with what is left of it in its period at `now`. */
export function limitRemainders(standing: SpendStanding, now: number): ReachedLimit[] {
  const periods = spendPeriods(now)
  const monthly = (limit: number | null, spend: PeriodSpend) => ({
    limit,
    spent: spentIn(spend, periods.month),
    resetAt: periods.monthResetAt
  })
  const { key } = standing
  const candidates: Record<SpendLimitName, { limit: number | null; spent: number; resetAt: number }> = {
    key_daily: {
      limit: key?.dailyLimit ?? null,
      spent: key ? spentIn(key.day, periods.day) : 0,
      resetAt: periods.dayResetAt
    },
    key_monthly: monthly(key?.monthlyLimit ?? null, key?.month ?? { period: 0, spent: 0 }),
    user_monthly: monthly(standing.monthlyLimit, standing.month),
    admin_monthly: monthly(standing.adminMonthlyLimit, standing.month)
  }
  return SPEND_LIMITS.flatMap((name) => {
    const { limit, spent, resetAt } = candidates[name]
    return limit === null ? [] : [{ name, limit, remaining: Math.max(0, limit - spent), resetAt }]
  })
}

/**
 * Why a hold of `hold` was refused, from a standing read after the refusal: the limit with the smallest remainder
 * (the first in `SPEND_LIMITS` of equal ones) when that remainder is below both the hold and the balance; else the
 * balance.
 */
export function refusalOf(standing: SpendStanding, hold: number, now: number): ReserveResult {
  const { balance } = standing
  const binding = limitRemainders(standing, now).reduce<ReachedLimit | undefined>(
    (smallest, limit) => (smallest === undefined || limit.remaining < smallest.remaining ? limit : smallest),
    undefined
  )
  if (binding && binding.remaining < hold && binding.remaining < balance) {
    return { reserved: false, reason: 'spend_limit', balance, limit: binding }
  }
  return { reserved: false, reason: 'insufficient_tokens', balance }
}
