import { randomUUID } from 'node:crypto'
import type { Config } from '../../config.js'
import type { Store } from '../../db/store.js'
import {
  InvalidCredentialsError,
  TokenNotValidError,
  UsernameLooksTakenError,
  usernameNotAllowed,
  UsernameTakenError
} from '../../problems/errors.js'
import type { PasswordHasher } from './passwords.js'
import type { Credentials, LoginCredentials } from './schemas.js'
import { issueTokenPair, refreshTokenExpiry, verifyToken, type TokenCodec } from './tokens.js'
import { usernameViolation } from './username-profile.js'
import { usernameColumns, usernameKey } from './usernames.js'

// The auth module's public face for the plugins: they use these, never the files behind them.
export type { AuthenticatedUser } from './authenticated-user.js'
export { PasswordHasher } from './passwords.js'
export { backfillUsernameSkeletons } from './skeleton-backfill.js'
export { verifyToken, type TokenClaims, type TokenCodec } from './tokens.js'
export { usernameKey } from './usernames.js'

export interface AuthDependencies {
  store: Store
  config: Config
  passwords: PasswordHasher
  tokens: TokenCodec
}

/** Names that break the profile get a 400 before the password is hashed; a name or look-alike in use, a 409. */
export async function registerUser({ store, config, passwords }: AuthDependencies, credentials: Credentials) {
  const columns = usernameColumns(credentials.username)
  const { username } = columns
  const violation = usernameViolation(username)
  if (violation !== undefined) throw usernameNotAllowed(violation)
  const result = await store.createUser({
    ...columns,
    passwordHash: await passwords.hash(columns.usernameKey, credentials.password),
    initialTokens: config.initialTokens,
    now: Date.now()
  })
  if (!result.created) {
    throw result.reason === 'taken' ? new UsernameTakenError(username) : new UsernameLooksTakenError(username)
  }
  return { username, tokens: result.tokens }
}

/**
 * Verifies the password and starts a login. The session is only stored if, by then, no password change or
 * deactivation has happened since the hash was read; a hash made with older argon2 parameters is made again, so that
 * every account comes to cost what an unknown username costs (the dummy hash is always made with the current ones).
 */
export async function logIn({ store, config, passwords, tokens }: AuthDependencies, credentials: LoginCredentials) {
  const key = usernameKey(credentials.username)
  const user = await store.findUserForLogin(key)
  const valid = user
    ? await passwords.verify(key, user.passwordHash, credentials.password)
    : await passwords.verifyAgainstDummy(key, credentials.password)
  if (!user || !valid) throw new InvalidCredentialsError()
  const upgradedPasswordHash = passwords.isOutdated(user.passwordHash)
    ? await passwords.hash(key, credentials.password)
    : undefined

  const now = Date.now()
  const sessionEndsAt = now + config.sessionMaxAgeSeconds * 1000
  const subject = {
    userId: user.id,
    sessionId: randomUUID(),
    sessionEndsAt,
    refreshJti: randomUUID(),
    refreshExpiresAt: Math.min(refreshTokenExpiry(config, now), sessionEndsAt)
  }
  const started = await store.startSession({
    sessionId: subject.sessionId,
    userId: user.id,
    credentialsVersion: user.credentialsVersion,
    upgradedPasswordHash,
    refreshJti: subject.refreshJti,
    refreshExpiresAt: subject.refreshExpiresAt,
    now
  })
  if (!started) throw new InvalidCredentialsError()
  return issueTokenPair(tokens, config, subject, now)
}

/**
 * Spends the presented refresh token and issues a new pair; a spent token coming back revokes its whole session. No
 * rotation reaches past the login's absolute end (`SESSION_MAX_AGE` after it started).
 */
export async function refreshTokens({ store, config, tokens }: AuthDependencies, refreshToken: string) {
  const claims = verifyToken(tokens, refreshToken, 'refresh')
  const now = Date.now()
  const userId = Number(claims.sub)
  const refreshJti = randomUUID()
  const rotation = await store.rotateRefreshToken({
    userId,
    sessionId: claims.sid,
    presentedJti: claims.jti,
    nextJti: refreshJti,
    nextExpiresAt: refreshTokenExpiry(config, now),
    sessionMaxAgeMs: config.sessionMaxAgeSeconds * 1000,
    now
  })
  if (rotation.outcome !== 'rotated') throw new TokenNotValidError()
  const { refreshExpiresAt, sessionEndsAt } = rotation
  return issueTokenPair(
    tokens,
    config,
    { userId, sessionId: claims.sid, sessionEndsAt, refreshJti, refreshExpiresAt },
    now
  )
}
