import type { AccountStore, SpendLimitStore, StoredAccount } from '../../db/store.js'
import {
  balanceLimitExceeded,
  CannotDeactivateSelfError,
  CannotDemoteSelfError,
  debitExceedsBalance,
  limitsUnavailable,
  UserNotFoundError
} from '../../problems/errors.js'
import { usernameKey } from '../auth/usernames.js'
import { toPage } from '../common/pages.js'
import { DEFAULT_PAGE_SIZE } from '../common/schemas.js'
import type { RateLimitConfig } from '../../config.js'
import { clearFailedLogins } from '../../limits/failed-logins.js'
import type { Limits } from '../../limits/limits.js'
import type { AdminUser, AdminUserPageQuery, AdminUserUpdate, TokenAdjustment, Unlock } from './schemas.js'

/** Usernames in order, optionally only those starting with `search`; the cursor is the last username key shown. */
export async function listAccounts(
  store: AccountStore,
  { search, cursor, limit = DEFAULT_PAGE_SIZE }: AdminUserPageQuery
) {
  const rows = await store.listAccounts({
    prefix: usernameKey(search ?? ''),
    after: cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8'),
    limit: limit + 1
  })
  return toPage(rows, limit, toAdminUser, (account) => Buffer.from(account.usernameKey).toString('base64url'))
}

export interface TokenAdjustmentRequest {
  /** The administrator; null for an operator at the command line. */
  actorId: number | null
  username: string
  amount: number
  note?: string | undefined
}

/**
 * A grant (positive amount) or debit (negative) with its ledger row. The answer depends only on the request and the
 * stored state, so an `Idempotency-Key` layer can wrap this call, store what it returns and replay it.
 */
export async function adjustTokens(store: AccountStore, request: TokenAdjustmentRequest): Promise<TokenAdjustment> {
  const note = request.note?.trim() || null
  const result = await store.adjustBalance({
    usernameKey: usernameKey(request.username),
    delta: request.amount,
    actorId: request.actorId,
    note,
    now: Date.now()
  })
  if (result.adjusted) return { username: result.username, tokens: result.tokens, delta: request.amount, note }
  if (result.reason === 'not_found') throw new UserNotFoundError(request.username)
  if (result.reason === 'insufficient_tokens') throw debitExceedsBalance(result.balance, -request.amount)
  throw balanceLimitExceeded(result.balance, result.reserved)
}

/** The id of the user of that name (regardless of case); 404 `user_not_found` when there is none. */
export async function accountIdOf(store: AccountStore, username: string): Promise<number> {
  const account = await store.findAccount(usernameKey(username))
  if (!account) throw new UserNotFoundError(username)
  return account.id
}

/**
 * Deactivating ends every session of the user at once; nobody can deactivate or demote themselves, so an active
 * administrator always remains. `monthly_limit` sets (null removes) the administrator's cap on the user's monthly
 * spend. Each change is one atomic store call; all set values, so a request repeated after a failure between them
 * ends where one success would have.
 */
export async function updateAccount(
  store: AccountStore & SpendLimitStore,
  actorId: number,
  username: string,
  { is_active: isActive, is_admin: isAdmin, monthly_limit: monthlyLimit }: AdminUserUpdate
) {
  const account = await store.findAccount(usernameKey(username))
  if (!account) throw new UserNotFoundError(username)
  if (account.id === actorId && isActive === false) throw new CannotDeactivateSelfError()
  if (account.id === actorId && isAdmin === false) throw new CannotDemoteSelfError()
  let updated: StoredAccount | undefined = account
  if (isActive !== undefined) updated = await store.setAccountActive({ userId: account.id, isActive, now: Date.now() })
  if (updated && isAdmin !== undefined) updated = await store.setAdmin(account.id, isAdmin)
  if (updated && monthlyLimit !== undefined) {
    const limited = await store.setMonthlyLimit({ userId: account.id, setBy: 'admin', limit: monthlyLimit })
    if (!limited) updated = undefined
  }
  if (!updated) throw new UserNotFoundError(username)
  return toAdminUser(updated)
}

/**
 * Lifts the user's failed-login lockout (see `clearFailedLogins`). An unreachable Redis is 503 `limits_unavailable`:
 * counting fails open, but an operator must hear that nothing was cleared.
 */
export async function unlockAccount(
  store: AccountStore,
  limits: Limits,
  failedLogins: RateLimitConfig['failedLogins'],
  username: string
): Promise<Unlock> {
  const account = await store.findAccount(usernameKey(username))
  if (!account) throw new UserNotFoundError(username)
  try {
    return { username: account.username, cleared_counts: await clearFailedLogins(limits, failedLogins, account) }
  } catch (error) {
    throw limitsUnavailable(error)
  }
}

export function toAdminUser(account: StoredAccount): AdminUser {
  return {
    username: account.username,
    tokens: account.tokens,
    is_active: account.isActive,
    is_admin: account.isAdmin,
    created_at: new Date(account.createdAt).toISOString()
  }
}
