import { randomUUID } from 'node:crypto'
import type { Config } from '../../config.js'
import type { Store } from '../../db/store.js'
import {
  InvalidCredentialsError,
  TokenNotValidError,
  UsernameLooksTakenError,
  usernameNotAllowed,
  UsernameTakenError
} from '../../errors.js'
import type { PasswordHasher } from './passwords.js'
import type { Credentials, LoginCredentials } from './schemas.js'
import { issueTokenPair, verifyToken, type TokenCodec } from './tokens.js'
import { usernameViolation } from './username-profile.js'
import { usernameColumns, usernameKey } from './usernames.js'

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
    passwordHash: await passwords.hash(credentials.password),
    initialTokens: config.initialTokens,
    now: Date.now()
  })
  if (!result.created) {
    throw result.reason === 'taken' ? new UsernameTakenError(username) : new UsernameLooksTakenError(username)
  }
  return { username, tokens: result.tokens }
}

export async function logIn({ store, config, passwords, tokens }: AuthDependencies, credentials: LoginCredentials) {
  const user = await store.findUserForLogin(usernameKey(credentials.username))
  const valid = user
    ? await passwords.verify(user.passwordHash, credentials.password)
    : await passwords.verifyAgainstDummy(credentials.password)
  if (!user || !valid) throw new InvalidCredentialsError()

  const now = Date.now()
  const sessionId = randomUUID()
  const pair = issueTokenPair(tokens, config, user.id, sessionId, now)
  await store.startSession({
    sessionId,
    userId: user.id,
    refreshJti: pair.refreshJti,
    refreshExpiresAt: pair.refreshExpiresAt,
    now
  })
  return { access: pair.access, refresh: pair.refresh }
}

/** Spends the presented refresh token and issues a new pair; a spent token coming back revokes its whole session. */
export async function refreshTokens({ store, config, tokens }: AuthDependencies, refreshToken: string) {
  const claims = verifyToken(tokens, refreshToken, 'refresh')
  const now = Date.now()
  const userId = Number(claims.sub)
  const pair = issueTokenPair(tokens, config, userId, claims.sid, now)
  const outcome = await store.rotateRefreshToken({
    userId,
    sessionId: claims.sid,
    presentedJti: claims.jti,
    nextJti: pair.refreshJti,
    nextExpiresAt: pair.refreshExpiresAt,
    now
  })
  if (outcome !== 'rotated') throw new TokenNotValidError()
  return { access: pair.access, refresh: pair.refresh }
}
