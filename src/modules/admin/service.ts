import type { AccountStore, StoredAccount } from '../../db/store.js'
import {
  balanceLimitExceeded,
  CannotDeactivateSelfError,
  debitExceedsBalance,
  UserNotFoundError
} from '../../problems/errors.js'
import { usernameKey } from '../auth/usernames.js'
import { toPage } from '../common/pages.js'
import { DEFAULT_PAGE_SIZE } from '../common/schemas.js'
import type { AdminUser, AdminUserPageQuery, TokenAdjustment } from './schemas.js'

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

/** Deactivating ends every session of the user at once; nobody can deactivate themselves. */
export async function setAccountActive(store: AccountStore, actorId: number, username: string, isActive: boolean) {
  const account = await store.findAccount(usernameKey(username))
  if (!account) throw new UserNotFoundError(username)
  if (account.id === actorId && !isActive) throw new CannotDeactivateSelfError()
  const updated = await store.setAccountActive({ userId: account.id, isActive, now: Date.now() })
  if (!updated) throw new UserNotFoundError(username)
  return toAdminUser(updated)
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
