import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** JSON responses load nothing and may be framed by nothing; `/docs` sets its own policy (plugins/openapi.ts). */
const API_CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"]
  }
}

/** Response headers a browser script may read beyond the safelisted ones. */
const EXPOSED_HEADERS = [
  'Retry-After',
  'WWW-Authenticate',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Idempotent-Replayed'
]
const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE']
const PREFLIGHT_CACHE_SECONDS = 600

/**
 * Security headers (helmet) on every response, and CORS for the configured origins only: a request from any other
 * origin, or without one, gets no CORS headers, and its preflight is a 404.
 */
export default fp(
  async function securityHeaders(app: FastifyInstance, { corsOrigins }: { corsOrigins: string[] }) {
    await app.register(helmet, {
      contentSecurityPolicy: API_CONTENT_SECURITY_POLICY,
      frameguard: { action: 'deny' }
    })
    if (corsOrigins.length === 0) return
    const allowed = new Set(corsOrigins)
    await app.register(cors, {
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ALLOWED_METHODS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_CACHE_SECONDS,
      // Answer any OPTIONS from an allowed origin as a preflight rather than with a text/plain 400.
      strictPreflight: false
    })
  },
  { name: 'security-headers' }
)
