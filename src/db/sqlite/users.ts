import { and, asc, eq, gt, isNull, notExists, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import { users } from './schema.js'
import type { Balance, CreateUserResult, LoginCandidate, NewUser, UnskeletonedUser } from '../store.js'
import type { Db } from './connection.js'
import { writeTransaction } from './transaction.js'
import { tokenAmount, type LedgerWrites } from './ledger.js'

export function userQueries(db: Db, ledger: LedgerWrites) {
  const insertUser = db
    .insert(users)
    .values({
      username: sql.placeholder('username'),
      usernameKey: sql.placeholder('usernameKey'),
      usernameSkeleton: sql.placeholder('usernameSkeleton'),
      passwordHash: sql.placeholder('passwordHash'),
      tokens: tokenAmount('initialTokens'),
      createdAt: sql.placeholder('now')
    })
    .onConflictDoNothing()
    .returning({ id: users.id, tokens: users.tokens })
    .prepare()

  const selectKey = db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.usernameKey, sql.placeholder('usernameKey')))
    .prepare()

  const selectUnskeletoned = db
    .select({ id: users.id, usernameKey: users.usernameKey })
    .from(users)
    .where(and(isNull(users.usernameSkeleton), isNull(users.deletedAt), gt(users.id, sql.placeholder('afterId'))))
    .orderBy(asc(users.id))
    .limit(sql.placeholder('limit'))
    .prepare()

  const holder = alias(users, 'holder')
  const updateSkeleton = db
    .update(users)
    .set({ usernameSkeleton: sql`${sql.placeholder('skeleton')}` })
    .where(
      and(
        eq(users.id, sql.placeholder('userId')),
        isNull(users.usernameSkeleton),
        isNull(users.deletedAt),
        notExists(
          db
            .select({ id: holder.id })
            .from(holder)
            .where(eq(holder.usernameSkeleton, sql.placeholder('skeleton')))
        )
      )
    )
    .returning({ id: users.id })
    .prepare()

  // A deactivated user is no candidate: their login is verified against the dummy hash, like an unknown username.
  const selectLoginCandidate = db
    .select({
      id: users.id,
      username: users.username,
      passwordHash: users.passwordHash,
      credentialsVersion: users.credentialsVersion
    })
    .from(users)
    .where(and(eq(users.usernameKey, sql.placeholder('usernameKey')), eq(users.isActive, true)))
    .prepare()

  const selectBalance = db
    .select({ username: users.username, tokens: users.tokens })
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const createUser = writeTransaction(db, (input: NewUser): CreateUserResult => {
    const user = insertUser.get(input)
    if (!user) return { created: false, reason: selectKey.get(input) ? 'taken' : 'looks_taken' }
    ledger.record({
      userId: user.id,
      delta: user.tokens,
      reason: 'signup',
      chatId: null,
      balanceAfter: user.tokens,
      now: input.now
    })
    return { created: true, userId: user.id, tokens: user.tokens }
  })

  return {
    createUser: async (input: NewUser) => createUser(input),
    findUserForLogin: async (usernameKey: string): Promise<LoginCandidate | undefined> =>
      selectLoginCandidate.get({ usernameKey }),
    getBalance: async (userId: number): Promise<Balance | undefined> => selectBalance.get({ userId }),
    listUnskeletonedUsers: async (afterId: number, limit: number): Promise<UnskeletonedUser[]> =>
      selectUnskeletoned.all({ afterId, limit }),
    setUsernameSkeleton: async (userId: number, skeleton: string) =>
      updateSkeleton.get({ userId, skeleton }) !== undefined
  }
}
