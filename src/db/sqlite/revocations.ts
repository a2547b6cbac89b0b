import { and, eq, isNull, ne, sql } from 'drizzle-orm'
import { refreshTokens, sessions, users } from './schema.js'
import type { PasswordChange, RefreshTokenState } from '../store.js'
import type { Db } from './connection.js'
import { writeTransaction } from './transaction.js'

/**
 * Ends every live login of a user except `keepSessionId` ('' keeps none) and returns the ended ones; a statement, so
 * that it can run inside the caller's transaction.
 */
export function prepareRevokeUserSessions(db: Db) {
  return db
    .update(sessions)
    .set({ revokedAt: sql`${sql.placeholder('now')}` })
    .where(
      and(
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
        ne(sessions.id, sql.placeholder('keepSessionId'))
      )
    )
    .returning({ id: sessions.id })
    .prepare()
}

/** Ending sessions: one login, all of a user's logins, or all but the current one when the password changes. */
export function revocationQueries(db: Db) {
  const revokeSession = db
    .update(sessions)
    .set({ revokedAt: sql`${sql.placeholder('now')}` })
    .where(and(eq(sessions.id, sql.placeholder('sessionId')), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id })
    .prepare()

  const revokeUserSessions = prepareRevokeUserSessions(db)

  const selectRefreshToken = db
    .select({ spentAt: refreshTokens.spentAt, revokedAt: sessions.revokedAt })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(and(eq(refreshTokens.jti, sql.placeholder('jti')), eq(sessions.id, sql.placeholder('sessionId'))))
    .prepare()

  const selectPasswordHash = db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.id, sql.placeholder('userId')), isNull(users.deletedAt)))
    .prepare()

  const updatePasswordHash = db
    .update(users)
    .set({
      passwordHash: sql`${sql.placeholder('passwordHash')}`,
      credentialsVersion: sql`${users.credentialsVersion} + 1`
    })
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const changePassword = writeTransaction(db, (change: PasswordChange) => {
    updatePasswordHash.run(change)
    const { userId, keepSessionId = '', now } = change
    return revokeUserSessions.all({ userId, keepSessionId, now }).length
  })

  return {
    revokeSession: async (sessionId: string, now: number) => revokeSession.all({ sessionId, now }).length > 0,
    revokeUserSessions: async (userId: number, now: number) =>
      revokeUserSessions.all({ userId, now, keepSessionId: '' }).length,
    refreshTokenState: async (jti: string, sessionId: string): Promise<RefreshTokenState> => {
      const token = selectRefreshToken.get({ jti, sessionId })
      if (!token || token.revokedAt !== null) return 'revoked'
      return token.spentAt === null ? 'usable' : 'spent'
    },
    findPasswordHash: async (userId: number) => selectPasswordHash.get({ userId })?.passwordHash,
    changePassword: async (change: PasswordChange) => changePassword(change)
  }
}
