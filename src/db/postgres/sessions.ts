import { and, eq, isNull, sql } from 'drizzle-orm'
import type { NewSession, RefreshRotation, RotationResult, SessionUser } from '../store.js'
import type { Db } from './connection.js'
import { refreshTokens, sessions, users } from './schema.js'
import { transaction, type Tx } from './transaction.js'

const endSession = (tx: Tx, sessionId: string, now: number) =>
  tx.update(sessions).set({ revokedAt: now }).where(eq(sessions.id, sessionId))

export function sessionQueries(db: Db) {
  // The password was verified outside the transaction (argon2 takes a while). The user's row is locked while the
  // session is stored: a password change or deactivation (which update that row, then end the sessions) either
  // commits first, and the version no longer matches, or waits for this login and then ends it.
  const startSession = transaction(db, async (tx, input: NewSession): Promise<boolean> => {
    const [standing] = await tx
      .select({ id: users.id })
      .from(users)
      .where(
        and(
          eq(users.id, input.userId),
          eq(users.isActive, true),
          eq(users.credentialsVersion, input.credentialsVersion)
        )
      )
      .for('update')
    if (!standing) return false
    if (input.upgradedPasswordHash !== undefined) {
      await tx.update(users).set({ passwordHash: input.upgradedPasswordHash }).where(eq(users.id, input.userId))
    }
    await tx.insert(sessions).values({ id: input.sessionId, userId: input.userId, createdAt: input.now })
    await tx
      .insert(refreshTokens)
      .values({ jti: input.refreshJti, sessionId: input.sessionId, expiresAt: input.refreshExpiresAt })
    return true
  })

  // The presented token is spent by one conditional UPDATE: of two simultaneous rotations the second waits for the
  // first, finds the token spent, and treats it as the reuse it is.
  const rotateRefreshToken = transaction(db, async (tx, input: RefreshRotation): Promise<RotationResult> => {
    const [presented] = await tx
      .select({
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
    if (!presented || presented.revokedAt !== null || presented.expiresAt <= input.now) return { outcome: 'invalid' }
    const sessionEndsAt = presented.sessionStartedAt + input.sessionMaxAgeMs
    if (sessionEndsAt <= input.now) return { outcome: 'invalid' }
    const spent = await tx
      .update(refreshTokens)
      .set({ spentAt: input.now })
      .where(and(eq(refreshTokens.jti, input.presentedJti), isNull(refreshTokens.spentAt)))
      .returning({ jti: refreshTokens.jti })
    if (spent.length === 0) {
      await endSession(tx, input.sessionId, input.now)
      return { outcome: 'reused' }
    }
    const refreshExpiresAt = Math.min(input.nextExpiresAt, sessionEndsAt)
    await tx
      .insert(refreshTokens)
      .values({ jti: input.nextJti, sessionId: input.sessionId, expiresAt: refreshExpiresAt })
    return { outcome: 'rotated', refreshExpiresAt, sessionEndsAt }
  })

  // Named, so that each pooled connection parses and plans it once: planning this two-key join cost more than running
  // it, and building the query anew in drizzle cost more than both (bench/NOTES.md, "Sessions across instances").
  const sessionUser = db
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
    .prepare('find_session_user')

  return {
    startSession,
    /**
     * Read on every request, never remembered: another instance may have ended the session a moment ago. A
     * deactivated user's sessions are revoked too; checking is_active as well shuts out a login finishing meanwhile.
     */
    findSessionUser: async (userId: number, sessionId: string): Promise<SessionUser | undefined> => {
      const [user] = await sessionUser.execute({ userId, sessionId })
      return user
    },
    rotateRefreshToken
  }
}
