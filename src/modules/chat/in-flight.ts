import type { AiConfig } from '../../config.js'
import type { InFlightSlots, Limits } from '../../limits/limits.js'
import { MAX_REPLY_IDLE_PERIODS } from './service.js'

/** Enough for the few store writes of one chat, each bounded by the store's lock deadline, with room to spare. */
const STORE_WRITES_MS = 60_000

/**
 * The per-user cap on replies in flight, one slot per reply, keyed by user id. A slot outlives the longest reply
 * (the provider's whole deadline and the chat's store writes), so its TTL only ends one whose process died.
 */
export function chatsInFlight(limits: Limits, ai: AiConfig): InFlightSlots {
  return limits.slots('chats-in-flight', {
    maxPerKey: ai.maxConcurrentPerUser,
    ttlMs: ai.timeoutMs * MAX_REPLY_IDLE_PERIODS + STORE_WRITES_MS
  })
}
