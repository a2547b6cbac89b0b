import { and, eq, isNull, sql } from 'drizzle-orm'
import { refreshTokens, sessions, users } from '../schema.js'
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

  const startSession = (input: NewSession) =>
    db.transaction((tx) => {
      tx.insert(sessions).values({ id: input.sessionId, userId: input.userId, createdAt: input.now }).run()
      tx.insert(refreshTokens)
        .values({ jti: input.refreshJti, sessionId: input.sessionId, expiresAt: input.refreshExpiresAt })
        .run()
    })

  const rotateRefreshToken = (input: RefreshRotation): RotationResult =>
    db.transaction(
      (tx) => {
        const presented = tx
          .select({ spentAt: refreshTokens.spentAt, expiresAt: refreshTokens.expiresAt, revokedAt: sessions.revokedAt })
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
        if (!presented || presented.revokedAt !== null || presented.expiresAt <= input.now) return 'invalid'
        if (presented.spentAt !== null) {
          tx.update(sessions).set({ revokedAt: input.now }).where(eq(sessions.id, input.sessionId)).run()
          return 'reused'
        }
        tx.update(refreshTokens).set({ spentAt: input.now }).where(eq(refreshTokens.jti, input.presentedJti)).run()
        tx.insert(refreshTokens)
          .values({ jti: input.nextJti, sessionId: input.sessionId, expiresAt: input.nextExpiresAt })
          .run()
        return 'rotated'
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
