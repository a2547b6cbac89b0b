import type { AiConfig } from '../../config.js'
import type { InFlightSlots, Limits } from '../../limits/limits.js'
import { MAX_REPLY_IDLE_PERIODS } from './dependencies.js'

/** Beyond a reply's own total time limit, time for its store writes. */
const MARGIN_MS = 60_000

/**
 * The per-user cap on replies in flight, one slot per reply, keyed by user id. A slot's TTL is the longest a chat
 * can last (its reply's total time limit, plus a margin), so it only ends one whose process died.
 */
export function chatsInFlight(limits: Limits, ai: AiConfig): InFlightSlots {
  const ttlMs = ai.timeoutMs * MAX_REPLY_IDLE_PERIODS + MARGIN_MS
  return limits.slots('chats-in-flight', { maxPerKey: ai.maxConcurrentPerUser, ttlMs })
}
