import type { AiConfig } from '../../config.js'
import type { InFlightSlots, Limits } from '../../limits/limits.js'
import { longestChatMs } from './abandoned.js'

/**
 * The per-user cap on replies in flight, one slot per reply, keyed by user id. A slot's TTL is the longest a chat
 * can last, so it only ends one whose process died (the same bound after which its chat is refunded).
 */
export function chatsInFlight(limits: Limits, ai: AiConfig): InFlightSlots {
  return limits.slots('chats-in-flight', { maxPerKey: ai.maxConcurrentPerUser, ttlMs: longestChatMs(ai.timeoutMs) })
}
