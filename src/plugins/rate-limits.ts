import createError from '@fastify/error'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { RateLimitConfig } from '../abuse-config.js'
import { usernameKey } from '../modules/auth/usernames.js'
import { FailureCounter } from './failure-counter.js'

/** The limit a route is subject to, named in its `config`; the limits themselves all live here. */
export type RateLimitPolicy = 'failed-logins' | 'registrations' | 'chats'

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimitPolicy?: RateLimitPolicy
  }
}

type HookName = 'onRequest' | 'preValidation' | 'preHandler' | 'onSend'

/** Keys remembered per limit; past this the oldest windows are forgotten, so memory stays bounded under attack. */
const MAX_TRACKED_KEYS = 100_000

const RateLimitedError = createError('rate_limited', '%s; try again in %s', 429)

function rateLimited(what: string, retryAfterSeconds: number) {
  const headers = { 'retry-after': String(retryAfterSeconds) }
  return Object.assign(new RateLimitedError(what, inWords(retryAfterSeconds)), { headers })
}

function inWords(seconds: number): string {
  const [amount, unit] =
    seconds < 60
      ? [seconds, 'second']
      : seconds < 3600
        ? [Math.ceil(seconds / 60), 'minute']
        : [Math.ceil(seconds / 3600), 'hour']
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`
}

/**
 * Rate limits for the routes that name a `rateLimitPolicy`, answered as 429 `rate_limited` problems with
 * `Retry-After`. With `RATE_LIMIT=off` nothing is registered.
 */
export default fp(
  async function rateLimits(app: FastifyInstance, { config }: { config: RateLimitConfig }) {
    if (!config.enabled) return
    await app.register(rateLimit, { global: false, cache: MAX_TRACKED_KEYS })

    const limitRegistrations = app.rateLimit({
      max: config.registrations.perAddress,
      timeWindow: config.registrations.windowMs,
      errorResponseBuilder: (_request, { ttl }) => rateLimited('Too many registrations from your address', seconds(ttl))
    })
    const limitChats = app.rateLimit({
      max: config.chats.perUser,
      timeWindow: config.chats.windowMs,
      keyGenerator: (request) => request.user.id,
      errorResponseBuilder: (_request, { ttl }) => rateLimited('You are sending messages too fast', seconds(ttl))
    })
    const failedLogins = failedLoginGuard(config.failedLogins)

    app.addHook('onRoute', (route) => {
      const policy = route.config?.rateLimitPolicy
      // Registrations count every attempt, before the body is read; chats count per user, so after authentication.
      if (policy === 'registrations') appendHook(route, 'onRequest', limitRegistrations)
      if (policy === 'chats') appendHook(route, 'preValidation', limitChats)
      if (policy === 'failed-logins') {
        appendHook(route, 'preHandler', failedLogins.begin)
        appendHook(route, 'onSend', failedLogins.settle)
      }
    })
  },
  { name: 'rate-limits' }
)

function seconds(milliseconds: number): number {
  return Math.max(1, Math.ceil(milliseconds / 1000))
}

function appendHook(route: RouteOptions, name: HookName, hook: unknown) {
  const existing = route[name]
  route[name] = [...(existing === undefined ? [] : [existing].flat()), hook] as never
}

/**
 * Failed logins, counted per username and client address and, more loosely, per address across usernames.
 * A correct password is never counted, and a username is only refused to the address its failures came from, so
 * an attacker cannot lock its owner out elsewhere. The attempt is settled in `onSend`, which every reply passes
 * through, errors included: a 401 is a failure, anything else is not.
 */
function failedLoginGuard(config: RateLimitConfig['failedLogins']) {
  const perAddress = new FailureCounter(config.perAddress, config.windowMs, MAX_TRACKED_KEYS)
  const perUsernameAndAddress = new FailureCounter(config.perUsernameAndAddress, config.windowMs, MAX_TRACKED_KEYS)
  const attempts = new WeakMap<FastifyRequest, { address: string; account: string }>()

  async function begin(request: FastifyRequest) {
    const address = normalizeIP(request.ip)
    const account = `${address} ${usernameKey((request.body as { username: string }).username)}`
    const byAddress = perAddress.begin(address)
    if (!byAddress.admitted) {
      throw rateLimited('Too many failed logins from your address', byAddress.retryAfterSeconds)
    }
    const byAccount = perUsernameAndAddress.begin(account)
    if (!byAccount.admitted) {
      perAddress.settle(address, false)
      throw rateLimited('Too many failed logins for this username from your address', byAccount.retryAfterSeconds)
    }
    attempts.set(request, { address, account })
  }

  async function settle(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const attempt = attempts.get(request)
    if (attempt) {
      attempts.delete(request)
      const failed = reply.statusCode === 401
      perAddress.settle(attempt.address, failed)
      perUsernameAndAddress.settle(attempt.account, failed)
    }
    return payload
  }

  return { begin, settle }
}
