import { randomUUID } from 'node:crypto'
import { TokenExpiredError, TokenNotValidError } from '../../problems/errors.js'

export interface TokenClaims {
  sub: string
  sid: string
  jti: string
  token_type: 'access' | 'refresh'
  iat: number
  exp: number
}

/** What the auth service needs from the JWT library: it signs claims and verifies a token back into them. */
export interface TokenCodec {
  sign(claims: TokenClaims): string
  verify(token: string): TokenClaims
  /** Whether an error that `verify` threw says only that the token expired: its signature and algorithm were good. */
  isExpiry(error: unknown): boolean
}

export interface TokenPair {
  access: string
  refresh: string
}

export interface TokenLifetimes {
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
}

/** The login a pair belongs to, and the refresh token it is issued around, as the store keeps them. */
export interface PairSubject {
  userId: number
  sessionId: string
  /** Epoch milliseconds: the login's absolute end, which neither token outlives. */
  sessionEndsAt: number
  refreshJti: string
  /** Epoch milliseconds, at most `sessionEndsAt`. */
  refreshExpiresAt: number
}

/** Epoch milliseconds in whole seconds, as a JWT `exp` has them: the refresh token lifetime from now. */
export function refreshTokenExpiry(lifetimes: TokenLifetimes, now: number): number {
  return (Math.floor(now / 1000) + lifetimes.refreshTokenTtlSeconds) * 1000
}

export function issueTokenPair(
  codec: TokenCodec,
  lifetimes: TokenLifetimes,
  subject: PairSubject,
  now: number
): TokenPair {
  const iat = Math.floor(now / 1000)
  const common = { sub: String(subject.userId), sid: subject.sessionId, iat }
  return {
    access: codec.sign({
      ...common,
      jti: randomUUID(),
      token_type: 'access',
      exp: Math.min(iat + lifetimes.accessTokenTtlSeconds, Math.floor(subject.sessionEndsAt / 1000))
    }),
    refresh: codec.sign({
      ...common,
      jti: subject.refreshJti,
      token_type: 'refresh',
      exp: Math.floor(subject.refreshExpiresAt / 1000)
    })
  }
}

/** Verifies signature, algorithm and expiry; every failure is `token_not_valid`, whose detail says if it expired. */
export function decodeToken(codec: TokenCodec, token: string): TokenClaims {
  try {
    return codec.verify(token)
  } catch (error) {
    throw codec.isExpiry(error) ? new TokenExpiredError() : new TokenNotValidError()
  }
}

/** As `decodeToken`, and the token must be of the expected type. */
export function verifyToken(codec: TokenCodec, token: string, expectedType: TokenClaims['token_type']): TokenClaims {
  const claims = decodeToken(codec, token)
  if (claims.token_type !== expectedType) throw new TokenNotValidError()
  return claims
}
