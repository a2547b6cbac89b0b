import { and, asc, eq, gt, isNull, notExists, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Balance, CreateUserResult, LoginCandidate, NewUser, UnskeletonedUser } from '../store.js'
import type { Db } from './connection.js'
import { ledgerWrites } from './ledger.js'
import { users } from './schema.js'
import { hasSqlState } from './storage-failures.js'
import { transaction } from './transaction.js'

const UNIQUE_VIOLATION = '23505'

export function userQueries(db: Db) {
  // The unique constraints on the key and the skeleton decide: of simultaneous sign-ups, the others wait for the
  // first to commit and then insert nothing.
  const createUser = transaction(db, async (tx, input: NewUser): Promise<CreateUserResult> => {
    const [user] = await tx
      .insert(users)
      .values({
        username: input.username,
        usernameKey: input.usernameKey,
        usernameSkeleton: input.usernameSkeleton,
        passwordHash: input.passwordHash,
        tokens: input.initialTokens,
        createdAt: input.now
      })
      .onConflictDoNothing()
      .returning({ id: users.id, tokens: users.tokens })
    if (!user) {
      const [holder] = await tx.select({ id: users.id }).from(users).where(eq(users.usernameKey, input.usernameKey))
      return { created: false, reason: holder ? 'taken' : 'looks_taken' }
    }
    await ledgerWrites.record(tx, {
      userId: user.id,
      delta: user.tokens,
      reason: 'signup',
      chatId: null,
      balanceAfter: user.tokens,
      now: input.now
    })
    return { created: true, userId: user.id, tokens: user.tokens }
  })

  const holder = alias(users, 'holder')
  const setUsernameSkeleton = async (userId: number, skeleton: string) => {
    try {
      const updated = await db
        .update(users)
        .set({ usernameSkeleton: skeleton })
        .where(
          and(
            eq(users.id, userId),
            isNull(users.usernameSkeleton),
            isNull(users.deletedAt),
            notExists(db.select({ id: holder.id }).from(holder).where(eq(holder.usernameSkeleton, skeleton)))
          )
        )
        .returning({ id: users.id })
      return updated.length > 0
    } catch (error) {
      // Another account took the skeleton after this statement's snapshot: the unique constraint says so.
      if (hasSqlState(error, UNIQUE_VIOLATION)) return false
      throw error
    }
  }

  // Read on every balance request: built once and prepared on each pooled connection, so neither drizzle's query
  // builder nor the server's parser and planner run per request.
  const balanceOf = db
    .select({ username: users.username, tokens: users.tokens })
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare('get_balance')

  return {
    createUser,
    // A deactivated user is no candidate: their login is verified against the dummy hash, like an unknown username.
    findUserForLogin: async (usernameKey: string): Promise<LoginCandidate | undefined> => {
      const [candidate] = await db
        .select({
          id: users.id,
          username: users.username,
          passwordHash: users.passwordHash,
          credentialsVersion: users.credentialsVersion
        })
        .from(users)
        .where(and(eq(users.usernameKey, usernameKey), eq(users.isActive, true)))
      return candidate
    },
    getBalance: async (userId: number): Promise<Balance | undefined> => {
      const [balance] = await balanceOf.execute({ userId })
      return balance
    },
    listUnskeletonedUsers: async (afterId: number, limit: number): Promise<UnskeletonedUser[]> =>
      db
        .select({ id: users.id, usernameKey: users.usernameKey })
        .from(users)
        .where(and(isNull(users.usernameSkeleton), isNull(users.deletedAt), gt(users.id, afterId)))
        .orderBy(asc(users.id))
        .limit(limit),
    setUsernameSkeleton
  }
}
