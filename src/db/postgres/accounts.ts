import { and, asc, eq, gt, gte, isNull, lt, sql } from 'drizzle-orm'
import type {
  AccountActivation,
  AccountPageQuery,
  AdjustmentResult,
  BalanceAdjustment,
  StoredAccount
} from '../store.js'
import type { Db } from './connection.js'
import { ledgerWrites } from './ledger.js'
import { revokeUserSessions } from './revocations.js'
import { users } from './schema.js'
import { transaction } from './transaction.js'
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
export function accountQueries(db: Db) {
  // The account's row is locked first, so that the grant's statement counts the pending chats committed with the
  // balance it sees; the change itself is one conditional UPDATE.
  const adjustBalance = transaction(db, async (tx, input: BalanceAdjustment): Promise<AdjustmentResult> => {
    const [account] = await tx
      .select(accountColumns)
      .from(users)
      .where(and(eq(users.usernameKey, input.usernameKey), isNull(users.deletedAt)))
      .for('update')
    if (!account) return { adjusted: false, reason: 'not_found' }
    const granted = input.delta > 0
    const tokens = granted
      ? await ledgerWrites.tryGrant(tx, account.id, input.delta)
      : await ledgerWrites.tryDebit(tx, account.id, -input.delta)
    if (tokens === undefined) {
      const balance = account.tokens
      return granted
        ? {
            adjusted: false,
            reason: 'balance_limit',
            balance,
            reserved: await ledgerWrites.reservedTokens(tx, account.id)
          }
        : { adjusted: false, reason: 'insufficient_tokens', balance }
    }
    await ledgerWrites.record(tx, {
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

  // A new credentials version shuts out logins that verified the password before and have yet to start their session.
  const setAccountActive = transaction(
    db,
    async (tx, { userId, isActive, now }: AccountActivation): Promise<StoredAccount | undefined> => {
      const changes = isActive
        ? { isActive: true }
        : { isActive: false, credentialsVersion: sql`${users.credentialsVersion} + 1` }
      const [account] = await tx
        .update(users)
        .set(changes)
        .where(and(eq(users.id, userId), isNull(users.deletedAt)))
        .returning(accountColumns)
      if (!account) return undefined
      if (!isActive) await revokeUserSessions(tx, userId, now)
      return account
    }
  )

  return {
    listAccounts: async ({ prefix, after, limit }: AccountPageQuery): Promise<StoredAccount[]> =>
      db
        .select(accountColumns)
        .from(users)
        .where(
          and(
            isNull(users.deletedAt),
            gte(users.usernameKey, prefix),
            // Keys are collated "C" (code point order, see schema.ts): a prefix is a range whatever the server's locale.
            lt(users.usernameKey, prefix + AFTER_EVERY_CHARACTER),
            gt(users.usernameKey, after ?? '')
          )
        )
        .orderBy(asc(users.usernameKey))
        .limit(limit),
    findAccount: async (usernameKey: string): Promise<StoredAccount | undefined> => {
      const [account] = await db
        .select(accountColumns)
        .from(users)
        .where(and(eq(users.usernameKey, usernameKey), isNull(users.deletedAt)))
      return account
    },
    adjustBalance,
    setAccountActive,
    setAdmin: async (userId: number, isAdmin: boolean): Promise<StoredAccount | undefined> => {
      const [account] = await db.update(users).set({ isAdmin }).where(eq(users.id, userId)).returning(accountColumns)
      return account
    }
  }
}
