import type { SessionStore } from '../../db/store.js'
import { LoginEndedError, TokenNotValidError, wrongPassword } from '../../problems/errors.js'
import type { AuthenticatedUser } from '../auth/authenticated-user.js'
import type { PasswordHasher } from '../auth/passwords.js'
import { decodeToken, verifyToken, type TokenCodec } from '../auth/tokens.js'
import { usernameKey } from '../auth/usernames.js'

export interface SessionDependencies {
  store: SessionStore
  tokens: TokenCodec
  passwords: PasswordHasher
}

/** Any token, access or refresh, that would be accepted now: well signed, unexpired, its login live, not spent. */
export async function verifyAnyToken({ store, tokens }: SessionDependencies, token: string) {
  const claims = decodeToken(tokens, token)
  const user = await store.findSessionUser(Number(claims.sub), claims.sid)
  if (!user) throw new LoginEndedError()
  if (claims.token_type === 'refresh' && (await store.refreshTokenState(claims.jti, claims.sid)) !== 'usable') {
    throw new TokenNotValidError()
  }
}

/** Ends the login that the refresh token belongs to: every refresh and access token of it stops working. */
export async function revokeRefreshToken({ store, tokens }: SessionDependencies, refresh: string, ownerId?: number) {
  const claims = verifyToken(tokens, refresh, 'refresh')
  if (ownerId !== undefined && Number(claims.sub) !== ownerId) throw new TokenNotValidError()
  if (!(await store.revokeSession(claims.sid, Date.now()))) throw new LoginEndedError()
}

export async function logOutEverywhere(store: SessionStore, userId: number) {
  await store.revokeUserSessions(userId, Date.now())
}

/** Changes the password and ends every other login; the one that asked stays logged in. */
export async function changePassword(
  { store, passwords }: SessionDependencies,
  user: AuthenticatedUser,
  oldPassword: string,
  newPassword: string
) {
  const account = usernameKey(user.username)
  const currentHash = await store.findPasswordHash(user.id)
  if (!currentHash || !(await passwords.verify(account, currentHash, oldPassword))) throw wrongPassword()
  return store.changePassword({
    userId: user.id,
    passwordHash: await passwords.hash(account, newPassword),
    keepSessionId: user.sessionId,
    now: Date.now()
  })
}
