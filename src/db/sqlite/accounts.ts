import { and, asc, eq, gt, gte, isNull, lt, sql } from 'drizzle-orm'
import { users } from './schema.js'
import type {
  AccountActivation,
  AccountPageQuery,
  AdjustmentResult,
  BalanceAdjustment,
  StoredAccount
} from '../store.js'
import type { Db } from './connection.js'
import { writeTransaction } from './transaction.js'
import type { LedgerWrites } from './ledger.js'
import { prepareRevokeUserSessions } from './revocations.js'
import { AFTER_EVERY_CHARACTER } from '../storage-rules.js'

const accountColumns = {
  id: users.id,
  username: users.username,
  usernameKey: users.usernameKey,
  tokens: users.tokens,
  isActive: users.isActive,
  isAdmin: users.isAdmin,
  createdAt: users.createdAt
}

/**
 * What administrators and operators do to accounts: list, adjust balances, (de)activate, promote. Deleted accounts
 * are none of theirs: no listing, look-up or adjustment finds them, and they are never activated again.
 */
export function accountQueries(db: Db, ledger: LedgerWrites) {
  const selectPage = db
    .select(accountColumns)
    .from(users)
    .where(
      and(
        isNull(users.deletedAt),
        gte(users.usernameKey, sql.placeholder('prefix')),
        lt(users.usernameKey, sql.placeholder('prefixEnd')),
        gt(users.usernameKey, sql.placeholder('after'))
      )
    )
    .orderBy(asc(users.usernameKey))
    .limit(sql.placeholder('limit'))
    .prepare()

  const selectByKey = db
    .select(accountColumns)
    .from(users)
    .where(and(eq(users.usernameKey, sql.placeholder('usernameKey')), isNull(users.deletedAt)))
    .prepare()

  const selectById = db
    .select(accountColumns)
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const activate = db
    .update(users)
    .set({ isActive: true })
    .where(and(eq(users.id, sql.placeholder('userId')), isNull(users.deletedAt)))
    .returning({ id: users.id })
    .prepare()

  // A new credentials version shuts out logins that verified the password before and have yet to start their session.
  const deactivate = db
    .update(users)
    .set({ isActive: false, credentialsVersion: sql`${users.credentialsVersion} + 1` })
    .where(eq(users.id, sql.placeholder('userId')))
    .returning({ id: users.id })
    .prepare()

  const revokeSessions = prepareRevokeUserSessions(db)

  const updateAdmin = db
    .update(users)
    .set({ isAdmin: sql`${sql.placeholder('isAdmin')}` })
    .where(eq(users.id, sql.placeholder('userId')))
    .returning(accountColumns)
    .prepare()

  const adjustBalance = writeTransaction(db, (input: BalanceAdjustment): AdjustmentResult => {
    const account = selectByKey.get(input)
    if (!account) return { adjusted: false, reason: 'not_found' }
    const granted = input.delta > 0
    const tokens = granted ? ledger.tryGrant(account.id, input.delta) : ledger.tryDebit(account.id, -input.delta)
    if (tokens === undefined) {
      const balance = account.tokens
      return granted
        ? { adjusted: false, reason: 'balance_limit', balance, reserved: ledger.reservedTokens(account.id) }
        : { adjusted: false, reason: 'insufficient_tokens', balance }
    }
    ledger.record({
      userId: account.id,
      delta: input.delta,
      reason: granted ? 'grant' : 'debit',
      chatId: null,
      actorId: input.actorId,
      note: input.note,
      balanceAfter: tokens,
      now: input.now
    })
    return { adjusted: true, username: account.username, tokens }
  })

  const setAccountActive = writeTransaction(
    db,
    ({ userId, isActive, now }: AccountActivation): StoredAccount | undefined => {
      if (!(isActive ? activate : deactivate).get({ userId })) return undefined
      if (!isActive) revokeSessions.all({ userId, keepSessionId: '', now })
      return selectById.get({ userId })
    }
  )

  return {
    // Keys compare as UTF-8 bytes (SQLite's BINARY collation), which is code point order: a prefix is a range.
    listAccounts: async ({ prefix, after, limit }: AccountPageQuery): Promise<StoredAccount[]> =>
      selectPage.all({ prefix, prefixEnd: prefix + AFTER_EVERY_CHARACTER, after: after ?? '', limit }),
    findAccount: async (usernameKey: string): Promise<StoredAccount | undefined> => selectByKey.get({ usernameKey }),
    adjustBalance: async (input: BalanceAdjustment) => adjustBalance(input),
    setAccountActive: async (input: AccountActivation) => setAccountActive(input),
    setAdmin: async (userId: number, isAdmin: boolean): Promise<StoredAccount | undefined> =>
      updateAdmin.get({ userId, isAdmin: isAdmin ? 1 : 0 })
  }
}
