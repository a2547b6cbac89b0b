import createError from '@fastify/error'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { RateLimitConfig } from '../config.js'
import { failedLoginCounters, usernameAndAddressKey, wrongPasswordKey } from '../limits/failed-logins.js'
import type { FailureCounter, Limits } from '../limits/limits.js'
import { rateLimitStore } from '../limits/rate-limit-store.js'
import { usernameKey } from '../modules/auth/service.js'

/** The limit a route is subject to, named in its `config`; the limits themselves all live here. */
export type RateLimitPolicy = 'failed-logins' | 'wrong-passwords' | 'registrations' | 'chats'

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimitPolicy?: RateLimitPolicy
  }
}

type HookName = 'onRequest' | 'preValidation' | 'preHandler' | 'onSend'

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

export interface RateLimitsOptions {
  config: RateLimitConfig
  /** Where every count is kept, those of @fastify/rate-limit included. */
  limits: Limits
}

/**
 * Rate limits for the routes that name a `rateLimitPolicy`, answered as 429 `rate_limited` problems with
 * `Retry-After`. With `RATE_LIMIT=off` nothing is registered.
 */
export default fp(
  async function rateLimits(app: FastifyInstance, { config, limits }: RateLimitsOptions) {
    if (!config.enabled) return
    await app.register(rateLimit, { global: false, store: rateLimitStore(limits) })

    // Each limiter's groupId names its window counter in the limits (see rate-limit-store.ts).
    const limitRegistrations = app.rateLimit({
      groupId: 'registrations',
      max: config.registrations.perAddress,
      timeWindow: config.registrations.windowMs,
      errorResponseBuilder: (_request, { ttl }) => rateLimited('Too many registrations from your address', seconds(ttl))
    })
    const limitChats = app.rateLimit({
      groupId: 'chats',
      max: config.chats.perUser,
      timeWindow: config.chats.windowMs,
      keyGenerator: (request) => String(request.user.id),
      errorResponseBuilder: (_request, { ttl }) => rateLimited('You are sending messages too fast', seconds(ttl))
    })
    const failureGuards: Partial<Record<RateLimitPolicy, ReturnType<typeof failureGuard>>> = {
      'failed-logins': failedLoginGuard(limits, config.failedLogins),
      'wrong-passwords': wrongPasswordGuard(limits, config.failedLogins)
    }

    app.addHook('onRoute', (route) => {
      const policy = route.config?.rateLimitPolicy
      // Registrations count every attempt, before the body is read; chats count per user, so after authentication.
      if (policy === 'registrations') appendHook(route, 'onRequest', limitRegistrations)
      if (policy === 'chats') appendHook(route, 'preValidation', limitChats)
      // Failure guards begin after validation (and authentication), so only well-formed attempts count.
      const guard = policy && failureGuards[policy]
      if (guard) {
        appendHook(route, 'preHandler', guard.begin)
        appendHook(route, 'onSend', guard.settle)
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

/** One failure count an attempt is subject to: the key it counts under and what a refusal says. */
interface FailureLimit {
  counter: FailureCounter
  keyOf: (request: FastifyRequest) => string
  refusal: string
}

/**
 * Counts attempts that fail against every limit in turn; the first limit reached refuses the attempt before it runs.
 * The attempt is settled in `onSend`, which every reply passes through, errors included, as failed when
 * `failed(statusCode)` says so.
 */
function failureGuard(limits: FailureLimit[], failed: (statusCode: number) => boolean) {
  const attempts = new WeakMap<FastifyRequest, string[]>()

  const settleAll = (keys: string[], failure: boolean) =>
    Promise.all(keys.map((key, index) => limits[index]!.counter.settle(key, failure)))

  async function begin(request: FastifyRequest) {
    const keys: string[] = []
    for (const limit of limits) {
      const key = limit.keyOf(request)
      const admission = await limit.counter.begin(key)
      if (!admission.admitted) {
        await settleAll(keys, false)
        throw rateLimited(limit.refusal, admission.retryAfterSeconds)
      }
      keys.push(key)
    }
    attempts.set(request, keys)
  }

  async function settle(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const keys = attempts.get(request)
    if (keys) {
      attempts.delete(request)
      await settleAll(keys, failed(reply.statusCode))
    }
    return payload
  }

  return { begin, settle }
}

/**
 * Failed logins (401), counted per username and client address and, more loosely, per address across usernames.
 * A correct password is never counted, and a username is only refused to the address its failures came from, so
 * an attacker cannot lock its owner out elsewhere.
 */
function failedLoginGuard(limits: Limits, config: RateLimitConfig['failedLogins']) {
  const addressOf = (request: FastifyRequest) => normalizeIP(request.ip)
  const counters = failedLoginCounters(limits, config)
  return failureGuard(
    [
      {
        counter: counters.perAddress,
        keyOf: addressOf,
        refusal: 'Too many failed logins from your address'
      },
      {
        counter: counters.perUsernameAndAddress,
        keyOf: (request) =>
          usernameAndAddressKey(usernameKey((request.body as { username: string }).username), addressOf(request)),
        refusal: 'Too many failed logins for this username from your address'
      }
    ],
    (statusCode) => statusCode === 401
  )
}

/**
 * Wrong old passwords on a password change, counted per user with the per-username limit of failed logins: a stolen
 * access token must not let its holder guess the password faster than a login would. The only 400 a request that
 * passed validation gets is `wrong_password`.
 */
function wrongPasswordGuard(limits: Limits, config: RateLimitConfig['failedLogins']) {
  return failureGuard(
    [
      {
        counter: failedLoginCounters(limits, config).wrongPasswords,
        keyOf: (request) => wrongPasswordKey(request.user.id),
        refusal: 'Too many wrong passwords for your account'
      }
    ],
    (statusCode) => statusCode === 400
  )
}
