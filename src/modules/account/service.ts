import { spentIn } from '../../db/spend-limits.js'
import { spendPeriods } from '../../db/storage-rules.js'
import type { AccountStore, SessionStore, SpendLimitStore, UserSpend } from '../../db/store.js'
import { AccountBusyError, LoginEndedError, TokenNotValidError, wrongPassword } from '../../problems/errors.js'
import type { AuthenticatedUser } from '../auth/authenticated-user.js'
import type { PasswordHasher } from '../auth/passwords.js'
import { usernameKey } from '../auth/usernames.js'
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

/**
 * Deletes the caller's account once their password is verified (as a password change verifies the old one). The
 * access token stops working with the next request: its session is gone.
 */
export async function deleteOwnAccount(
  { store, passwords }: { store: AccountStore & SessionStore; passwords: PasswordHasher },
  user: AuthenticatedUser,
  password: string
) {
  const currentHash = await store.findPasswordHash(user.id)
  if (!currentHash || !(await passwords.verify(usernameKey(user.username), currentHash, password))) {
    throw wrongPassword('password')
  }
  const outcome = await store.deleteAccount({ userId: user.id, now: Date.now() })
  if (outcome === 'busy') throw new AccountBusyError()
  // Deleted meanwhile, by an operator or another request of the user's: the login is over either way.
  if (outcome === 'not_found') throw new LoginEndedError()
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
