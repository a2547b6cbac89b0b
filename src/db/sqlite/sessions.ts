import { and, eq, isNull, sql } from 'drizzle-orm'
import { refreshTokens, sessions, users } from './schema.js'
import type { NewSession, RefreshRotation, RotationResult, SessionUser } from '../store.js'
import type { Db } from './connection.js'
import { createSessionCache } from './session-cache.js'
import { writeTransaction } from './transaction.js'

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

  const selectLoginStanding = db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.id, sql.placeholder('userId')),
        eq(users.isActive, true),
        eq(users.credentialsVersion, sql.placeholder('credentialsVersion'))
      )
    )
    .prepare()

  const updatePasswordHash = db
    .update(users)
    .set({ passwordHash: sql`${sql.placeholder('upgradedPasswordHash')}` })
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const insertSession = db
    .insert(sessions)
    .values({ id: sql.placeholder('sessionId'), userId: sql.placeholder('userId'), createdAt: sql.placeholder('now') })
    .prepare()

  const insertRefreshToken = db
    .insert(refreshTokens)
    .values({
      jti: sql.placeholder('jti'),
      sessionId: sql.placeholder('sessionId'),
      expiresAt: sql.placeholder('expiresAt')
    })
    .prepare()

  const selectPresentedToken = db
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
        eq(refreshTokens.jti, sql.placeholder('presentedJti')),
        eq(sessions.id, sql.placeholder('sessionId')),
        eq(sessions.userId, sql.placeholder('userId')),
        eq(users.isActive, true)
      )
    )
    .prepare()

  const revokeSession = db
    .update(sessions)
    .set({ revokedAt: sql`${sql.placeholder('now')}` })
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .prepare()

  const spendRefreshToken = db
    .update(refreshTokens)
    .set({ spentAt: sql`${sql.placeholder('now')}` })
    .where(eq(refreshTokens.jti, sql.placeholder('presentedJti')))
    .prepare()

  // The password was verified outside the transaction (argon2 takes a while); a password change or a deactivation that
  // committed since then raised the credentials version, and the login must not outlive it.
  const startSession = writeTransaction(db, (input: NewSession): boolean => {
    if (!selectLoginStanding.get(input)) return false
    if (input.upgradedPasswordHash !== undefined) updatePasswordHash.run(input)
    insertSession.run(input)
    insertRefreshToken.run({ jti: input.refreshJti, sessionId: input.sessionId, expiresAt: input.refreshExpiresAt })
    return true
  })

  const rotateRefreshToken = writeTransaction(db, (input: RefreshRotation): RotationResult => {
    const presented = selectPresentedToken.get(input)
    if (!presented || presented.revokedAt !== null || presented.expiresAt <= input.now) return { outcome: 'invalid' }
    const sessionEndsAt = presented.sessionStartedAt + input.sessionMaxAgeMs
    if (sessionEndsAt <= input.now) return { outcome: 'invalid' }
    if (presented.spentAt !== null) {
      revokeSession.run(input)
      return { outcome: 'reused' }
    }
    const refreshExpiresAt = Math.min(input.nextExpiresAt, sessionEndsAt)
    spendRefreshToken.run(input)
    insertRefreshToken.run({ jti: input.nextJti, sessionId: input.sessionId, expiresAt: refreshExpiresAt })
    return { outcome: 'rotated', refreshExpiresAt, sessionEndsAt }
  })

  return {
    startSession: async (input: NewSession) => startSession(input),
    findSessionUser: async (userId: number, sessionId: string): Promise<SessionUser | undefined> =>
      cachedSessionUser(userId, sessionId, () => selectSessionUser.get({ userId, sessionId })),
    rotateRefreshToken: async (input: RefreshRotation) => rotateRefreshToken(input)
  }
}
