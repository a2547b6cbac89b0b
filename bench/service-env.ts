import { randomBytes } from 'node:crypto'

/**
 * The service's environment in the benchmarks that measure it, besides the production runtime's and the database:
 * whatever would otherwise measure the limits rather than the service is lifted.
 */
export function benchServiceEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    // Issue 4's switch for rate limits: without it the limits, not the service, would be measured.
    RATE_LIMIT: 'off',
    // Every connection chats as the same user; the per-user cap on chats in flight would refuse most of them.
    AI_MAX_CONCURRENT_PER_USER: '1000',
    // Every login client logs the same user in; the per-account cap on password hashes (issue 10) would refuse all
    // but two of them at a time with 503, and the login scenarios would measure refusals. bench:password-flood
    // measures it.
    ARGON2_PER_ACCOUNT: '1000',
    INITIAL_TOKENS: String(10 ** 15),
    // Access tokens must outlive the whole run.
    ACCESS_TOKEN_TTL: '1h'
  }
}
