import { randomUUID } from 'node:crypto'
import { TokenNotValidError } from '../../errors.js'

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
}

export interface TokenPair {
  access: string
  refresh: string
  refreshJti: string
  refreshExpiresAt: number
}

export interface TokenLifetimes {
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
}

export function issueTokenPair(
  codec: TokenCodec,
  lifetimes: TokenLifetimes,
  userId: number,
  sessionId: string,
  now: number
): TokenPair {
  const iat = Math.floor(now / 1000)
  const common = { sub: String(userId), sid: sessionId, iat }
  const refreshJti = randomUUID()
  const refreshExp = iat + lifetimes.refreshTokenTtlSeconds
  return {
    access: codec.sign({
      ...common,
      jti: randomUUID(),
      token_type: 'access',
      exp: iat + lifetimes.accessTokenTtlSeconds
    }),
    refresh: codec.sign({ ...common, jti: refreshJti, token_type: 'refresh', exp: refreshExp }),
    refreshJti,
    refreshExpiresAt: refreshExp * 1000
  }
}

/** Verifies signature, algorithm and expiry; every failure is the same `token_not_valid`. */
export function decodeToken(codec: TokenCodec, token: string): TokenClaims {
  try {
    return codec.verify(token)
  } catch {
    throw new TokenNotValidError()
  }
}

/** As `decodeToken`, and the token must be of the expected type. */
export function verifyToken(codec: TokenCodec, token: string, expectedType: TokenClaims['token_type']): TokenClaims {
  const claims = decodeToken(codec, token)
  if (claims.token_type !== expectedType) throw new TokenNotValidError()
  return claims
}
