import jwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ConfigError, type Config } from '../config.js'
import { LoginEndedError } from '../problems/errors.js'
import {
  PasswordHasher,
  verifyToken,
  type AuthenticatedUser,
  type TokenClaims,
  type TokenCodec
} from '../modules/auth/service.js'
import { bearerTokenOf } from '../modules/common/bearer-token.js'

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims
    user: AuthenticatedUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>
    tokenCodec: TokenCodec
    passwords: PasswordHasher
  }
}

const ALGORITHM = 'HS256'

/**
 * JWT signing and verification (HS256 only) as `tokenCodec`, password hashing as `passwords`, and the `authenticate`
 * hook for protected routes.
 */
export default fp(
  async function auth(app: FastifyInstance, { config }: { config: Config }) {
    if (config.jwtSecret === undefined) {
      throw new ConfigError('JWT_SECRET is not set; server.ts generates one beside the database (withJwtSecret)')
    }
    await app.register(jwt, {
      secret: config.jwtSecret,
      sign: { algorithm: ALGORITHM },
      // Remembers a verified token (LRU, 1,000 entries, never past its `exp`) instead of checking its HMAC again on every
      // request. Revocation does not depend on it: `authenticate` checks the session in the database every time.
      verify: { algorithms: [ALGORITHM], cache: true }
    })

    const tokenCodec: TokenCodec = {
      sign: (claims) => app.jwt.sign(claims),
      verify: (token) => app.jwt.verify<TokenClaims>(token),
      // fast-jwt checks the signature before the claims, so an expired token is one that was otherwise good.
      isExpiry: (error) => (error as { code?: unknown }).code === 'FAST_JWT_EXPIRED'
    }
    app.decorate('tokenCodec', tokenCodec)
    app.decorate('passwords', new PasswordHasher(config.argon2, config.argon2Queue))

    app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
      const claims = verifyAccessToken(request.headers.authorization)
      const user = await app.store.findSessionUser(Number(claims.sub), claims.sid)
      if (!user) throw new LoginEndedError()
      request.user = { id: user.id, username: user.username, sessionId: claims.sid, isAdmin: user.isAdmin }
    })

    function verifyAccessToken(authorization: string | undefined): TokenClaims {
      return verifyToken(tokenCodec, bearerTokenOf(authorization), 'access')
    }
  },
  { name: 'auth', dependencies: ['store'] }
)
