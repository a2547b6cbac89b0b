import { and, eq, isNull, ne, sql } from 'drizzle-orm'
import type { PasswordChange, RefreshTokenState } from '../store.js'
import type { Db } from './connection.js'
import { refreshTokens, sessions, users } from './schema.js'
import { transaction, type Tx } from './transaction.js'

/** Ends every live login of a user except `keepSessionId` ('' keeps none); returns how many it ended. */
export async function revokeUserSessions(tx: Db | Tx, userId: number, now: number, keepSessionId = '') {
  const ended = await tx
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), ne(sessions.id, keepSessionId)))
    .returning({ id: sessions.id })
  return ended.length
}

/** Ending sessions: one login, all of a user's logins, or all but the current one when the password changes. */
export function revocationQueries(db: Db) {
  // The UPDATE of the user takes its row lock, so a login starting meanwhile (which locks the row to check the
  // credentials version) either commits first, and its session is ended here, or sees the new version.
  const changePassword = transaction(db, async (tx, change: PasswordChange) => {
    await tx
      .update(users)
      .set({ passwordHash: change.passwordHash, credentialsVersion: sql`${users.credentialsVersion} + 1` })
      .where(eq(users.id, change.userId))
    return revokeUserSessions(tx, change.userId, change.now, change.keepSessionId)
  })

  return {
    revokeSession: async (sessionId: string, now: number) => {
      const ended = await db
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id })
      return ended.length > 0
    },
    revokeUserSessions: async (userId: number, now: number) => revokeUserSessions(db, userId, now),
    refreshTokenState: async (jti: string, sessionId: string): Promise<RefreshTokenState> => {
      const [token] = await db
        .select({ spentAt: refreshTokens.spentAt, revokedAt: sessions.revokedAt })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(and(eq(refreshTokens.jti, jti), eq(sessions.id, sessionId)))
      if (!token || token.revokedAt !== null) return 'revoked'
      return token.spentAt === null ? 'usable' : 'spent'
    },
    findPasswordHash: async (userId: number) => {
      const [user] = await db
        .select({ passwordHash: users.passwordHash })
        .from(users)
        .where(and(eq(users.id, userId), isNull(users.deletedAt)))
      return user?.passwordHash
    },
    changePassword
  }
}
