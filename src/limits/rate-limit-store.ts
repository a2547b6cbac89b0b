import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Limits, WindowCounter } from './limits.js'

/** What @fastify/rate-limit hands a store's `child` for each limiter made with `app.rateLimit(options)`. */
interface LimiterOptions {
  groupId?: string
  timeWindow?: unknown
}

/**
 * @fastify/rate-limit's store, counting in the given limits' window counters, so that its limits are kept wherever
 * the others are. Each limiter must name its counter with `groupId` (with `app.rateLimit`, that only names it: keys
 * get the route's `groupId`, never the limiter's) and give its `timeWindow` in milliseconds.
 */
export function rateLimitStore(limits: Limits): FastifyRateLimitStoreCtor {
  return class LimitsStore implements FastifyRateLimitStore {
    incr(): void {
      throw new Error('rate limits are counted by the limiters of app.rateLimit, each with its own groupId')
    }

    child(options: object): FastifyRateLimitStore {
      const { groupId, timeWindow } = options as LimiterOptions
      if (groupId === undefined || typeof timeWindow !== 'number') {
        throw new Error('a rate limiter needs a groupId to name its counter and a timeWindow in milliseconds')
      }
      return windowStore(limits.windows(groupId, { windowMs: timeWindow }))
    }
  }
}

function windowStore(counter: WindowCounter): FastifyRateLimitStore {
  return {
    incr(key, callback) {
      counter.hit(key).then(
        ({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }),
        (error: Error) => callback(error)
      )
    },
    child() {
      throw new Error('a rate limiter counts in its own window counter only')
    }
  }
}
