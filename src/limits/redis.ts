import { Redis, type Result } from 'ioredis'
import type { Admission, FailureCounter, FailureRule, Limits, WindowCounter } from './limits.js'
import type { RedisLimitsConfig } from './limits-config.js'
import { namedLimits } from './named-limits.js'
import { ACQUIRE_SLOT, BEGIN_ATTEMPT, HIT_WINDOW, RENEW_SLOTS, SETTLE_ATTEMPT } from './redis-scripts.js'
import { redisSlots } from './redis-slots.js'

/** How long start-up waits for a first connection; past it the app starts anyway, its limits failing open. */
const CONNECT_TIMEOUT_MS = 2000
/** A command that takes longer is failed, so that a hung Redis slows no request by more. */
const COMMAND_TIMEOUT_MS = 500
const MAX_RECONNECT_DELAY_MS = 2000

declare module 'ioredis' {
  interface RedisCommander<Context> {
    beginAttempt(key: string, limit: number, windowMs: number): Result<[number, number?], Context>
    settleAttempt(key: string, failed: 0 | 1, windowMs: number): Result<number, Context>
    hitWindow(key: string, windowMs: number): Result<[number, number], Context>
    acquireSlot(key: string, maxPerKey: number, ttlMs: number, slotId: string): Result<number, Context>
    renewSlots(key: string, ttlMs: number, ...slotIds: string[]): Result<number, Context>
  }
}

/**
 * The limits in Redis, shared by every instance that uses the same server and key prefix. Every call is one script
 * (see redis-scripts.ts): one round trip, one atomic step. While Redis cannot be reached, calls reject at once
 * (no offline queue) and the client reconnects in the background.
 */
export async function connectRedisLimits(config: RedisLimitsConfig): Promise<Limits> {
  const client = new Redis(config.url, {
    keyPrefix: config.keyPrefix,
    enableOfflineQueue: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS)
  })
  // Errors surface as rejected calls; without a listener ioredis would print each failed reconnection.
  client.on('error', () => {})
  client.defineCommand('beginAttempt', { numberOfKeys: 1, lua: BEGIN_ATTEMPT })
  client.defineCommand('settleAttempt', { numberOfKeys: 1, lua: SETTLE_ATTEMPT })
  client.defineCommand('hitWindow', { numberOfKeys: 1, lua: HIT_WINDOW })
  client.defineCommand('acquireSlot', { numberOfKeys: 1, lua: ACQUIRE_SLOT })
  client.defineCommand('renewSlots', { numberOfKeys: 1, lua: RENEW_SLOTS })
  await firstConnection(client)
  return redisLimits(client)
}

/** Resolves once the client is ready or CONNECT_TIMEOUT_MS has passed, whichever comes first; never rejects. */
function firstConnection(client: Redis) {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CONNECT_TIMEOUT_MS)
    client.once('ready', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

function redisLimits(client: Redis): Limits {
  const { named } = namedLimits()
  const renewals: Array<() => void> = []
  return {
    slots: (name, rule) =>
      named(name, { kind: 'slots', ...rule }, () => {
        const { slots, stop } = redisSlots(client, `slots:${name}:`, rule)
        renewals.push(stop)
        return { counter: slots, extra: undefined }
      }),
    failures: (name, rule) =>
      named(name, { kind: 'failures', ...rule }, () => ({
        counter: redisFailures(client, `failures:${name}:`, rule),
        extra: undefined
      })),
    windows: (name, rule) =>
      named(name, { kind: 'windows', ...rule }, () => ({
        counter: redisWindows(client, `windows:${name}:`, rule.windowMs),
        extra: undefined
      })),
    checkReadiness: () =>
      client.ping().then(
        () => 'ok' as const,
        () => 'unreachable' as const
      ),
    close: async () => {
      for (const stop of renewals) stop()
      client.disconnect()
    }
  }
}

function redisFailures(client: Redis, prefix: string, rule: FailureRule): FailureCounter {
  return {
    async begin(key): Promise<Admission> {
      const [admitted, remainingMs = 0] = await client.beginAttempt(prefix + key, rule.limit, rule.windowMs)
      if (admitted === 1) return { admitted: true }
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) }
    },
    async settle(key, failed) {
      await client.settleAttempt(prefix + key, failed ? 1 : 0, rule.windowMs)
    },
    clear: async (key) => (await client.del(prefix + key)) > 0,
    clearStartingWith: (keyPrefix) => deleteStartingWith(client, prefix + keyPrefix)
  }
}

const SCAN_BATCH = 1000

/**
 * SCAN walks the whole keyspace in batches without blocking Redis, and its MATCH pattern is not prefixed by the
 * client: the pattern carries the client's key prefix, and the keys it finds lose it again before UNLINK, which adds
 * it. Only an operator's unlock runs this.
 */
async function deleteStartingWith(client: Redis, prefix: string): Promise<number> {
  const clientPrefix = client.options.keyPrefix ?? ''
  const pattern = `${escapeGlob(clientPrefix + prefix)}*`
  let deleted = 0
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH)
    if (keys.length > 0) deleted += await client.unlink(...keys.map((key) => key.slice(clientPrefix.length)))
    cursor = next
  } while (cursor !== '0')
  return deleted
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

function redisWindows(client: Redis, prefix: string, windowMs: number): WindowCounter {
  return {
    async hit(key) {
      const [count, resetInMs] = await client.hitWindow(prefix + key, windowMs)
      return { count, resetInMs }
    }
  }
}
