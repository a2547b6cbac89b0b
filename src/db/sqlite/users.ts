import { and, eq, sql } from 'drizzle-orm'
import { users } from '../schema.js'
import type { Balance, CreateUserResult, LoginCandidate, NewUser } from '../store.js'
import type { Db } from './connection.js'
import { ledgerWrites } from './ledger.js'

export function userQueries(db: Db) {
  const ledger = ledgerWrites(db)

  const insertUser = db
    .insert(users)
    .values({
      username: sql.placeholder('username'),
      usernameKey: sql.placeholder('usernameKey'),
      passwordHash: sql.placeholder('passwordHash'),
      tokens: sql.placeholder('initialTokens'),
      createdAt: sql.placeholder('now')
    })
    .onConflictDoNothing({ target: users.usernameKey })
    .returning({ id: users.id, tokens: users.tokens })
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

  const createUser = (input: NewUser): CreateUserResult =>
    db.transaction(
      () => {
        const user = insertUser.get(input)
        if (!user) return { created: false }
        ledger.record({
          userId: user.id,
          delta: user.tokens,
          reason: 'signup',
          chatId: null,
          balanceAfter: user.tokens,
          now: input.now
        })
        return { created: true, userId: user.id, tokens: user.tokens }
      },
      { behavior: 'immediate' }
    )

  return {
    createUser: async (input: NewUser) => createUser(input),
    findUserForLogin: async (usernameKey: string): Promise<LoginCandidate | undefined> =>
      selectLoginCandidate.get({ usernameKey }),
    getBalance: async (userId: number): Promise<Balance | undefined> => selectBalance.get({ userId })
  }
}
