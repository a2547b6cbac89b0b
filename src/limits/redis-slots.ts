import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { InFlightSlots, SlotRule } from './limits.js'

export interface RedisSlots {
  slots: InFlightSlots
  /** Stops the renewals: the slots still held then end with their TTL, as when the instance dies. */
  stop(): void
}

/**
 * Slots in Redis, one sorted set per key (see ACQUIRE_SLOT and RENEW_SLOTS in redis-scripts.ts). The slots this
 * instance holds are renewed together every third of the TTL, in one pipelined round trip, so that a slot lives
 * exactly as long as its holder and only a dead instance's slots expire. A renewal that cannot reach Redis is not
 * retried before the next: while Redis is away the limits fail open anyway.
 */
export function redisSlots(client: Redis, prefix: string, rule: SlotRule): RedisSlots {
  const held = new Map<string, Set<string>>()
  const renewal = setInterval(renewHeld, Math.max(1, Math.floor(rule.ttlMs / 3)))
  renewal.unref()

  function renewHeld() {
    if (held.size === 0) return
    const pipeline = client.pipeline()
    for (const [key, ids] of held) pipeline.renewSlots(prefix + key, rule.ttlMs, ...ids)
    pipeline.exec().catch(() => {})
  }

  function forget(key: string, slotId: string) {
    const ids = held.get(key)
    ids?.delete(slotId)
    if (ids?.size === 0) held.delete(key)
  }

  const slots: InFlightSlots = {
    async acquire(key) {
      const slotId = randomUUID()
      const taken = await client.acquireSlot(prefix + key, rule.maxPerKey, rule.ttlMs, slotId)
      if (taken !== 1) return undefined
      held.set(key, (held.get(key) ?? new Set()).add(slotId))
      let released = false
      return {
        release: async () => {
          if (released) return
          released = true
          forget(key, slotId)
          // A release that cannot reach Redis leaves the slot to its TTL, as the port allows.
          await client.zrem(prefix + key, slotId).catch(() => {})
        }
      }
    }
  }
  return { slots, stop: () => clearInterval(renewal) }
}
