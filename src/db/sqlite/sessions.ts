import { and, eq, isNull, sql } from 'drizzle-orm'
import { refreshTokens, sessions, users } from './schema.js'
import type { NewSession, RefreshRotation, RotationResult, SessionUser } from '../store.js'
import type { Db } from './connection.js'
import { createSessionCache } from './session-cache.js'

export function sessionQueries(db: Db) {
  // A deactivated user's sessions are revoked too; checking is_active here as well shuts out a login that was
  // finishing while the deactivation ran.
  const selectSessionUser = db
    .select({ id: users.id, username: users.username, isAdmin: users.isAdmin })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sql.placeholder('sessionId')),
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
        eq(users.isActive, true)
      )
    )
    .prepare()
  const cachedSessionUser = createSessionCache(db.$client)

  // The password was verified outside the transaction (argon2 takes a while); a password change or a deactivation that
  // committed since then raised the credentials version, and the login must not outlive it.
  const startSession = (input: NewSession): boolean =>
    db.transaction(
      (tx) => {
        const standing = tx
          .select({ id: users.id })
          .from(users)
          .where(
            and(
              eq(users.id, input.userId),
              eq(users.isActive, true),
              eq(users.credentialsVersion, input.credentialsVersion)
            )
          )
          .get()
        if (!standing) return false
        if (input.upgradedPasswordHash !== undefined) {
          tx.update(users).set({ passwordHash: input.upgradedPasswordHash }).where(eq(users.id, input.userId)).run()
        }
        tx.insert(sessions).values({ id: input.sessionId, userId: input.userId, createdAt: input.now }).run()
        tx.insert(refreshTokens)
          .values({ jti: input.refreshJti, sessionId: input.sessionId, expiresAt: input.refreshExpiresAt })
          .run()
        return true
      },
      { behavior: 'immediate' }
    )

  const rotateRefreshToken = (input: RefreshRotation): RotationResult =>
    db.transaction(
      (tx) => {
        const presented = tx
          .select({
            spentAt: refreshTokens.spentAt,
            expiresAt: refreshTokens.expiresAt,
            revokedAt: sessions.revokedAt,
            sessionStartedAt: sessions.createdAt
          })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .innerJoin(users, eq(users.id, sessions.userId))
          .where(
            and(
              eq(refreshTokens.jti, input.presentedJti),
              eq(sessions.id, input.sessionId),
              eq(sessions.userId, input.userId),
              eq(users.isActive, true)
            )
          )
          .get()
        if (!presented || presented.revokedAt !== null || presented.expiresAt <= input.now)
          return { outcome: 'invalid' }
        const sessionEndsAt = presented.sessionStartedAt + input.sessionMaxAgeMs
        if (sessionEndsAt <= input.now) return { outcome: 'invalid' }
        if (presented.spentAt !== null) {
          tx.update(sessions).set({ revokedAt: input.now }).where(eq(sessions.id, input.sessionId)).run()
          return { outcome: 'reused' }
        }
        const refreshExpiresAt = Math.min(input.nextExpiresAt, sessionEndsAt)
        tx.update(refreshTokens).set({ spentAt: input.now }).where(eq(refreshTokens.jti, input.presentedJti)).run()
        tx.insert(refreshTokens)
          .values({ jti: input.nextJti, sessionId: input.sessionId, expiresAt: refreshExpiresAt })
          .run()
        return { outcome: 'rotated', refreshExpiresAt, sessionEndsAt }
      },
      { behavior: 'immediate' }
    )

  return {
    startSession: async (input: NewSession) => startSession(input),
    findSessionUser: async (userId: number, sessionId: string): Promise<SessionUser | undefined> =>
      cachedSessionUser(userId, sessionId, () => selectSessionUser.get({ userId, sessionId })),
    rotateRefreshToken: async (input: RefreshRotation) => rotateRefreshToken(input)
  }
}
