import type { AiConfig } from '../../config.js'
import type { InFlightSlots, Limits } from '../../limits/limits.js'

/**
 * The per-user cap on replies in flight, one slot per reply, keyed by user id. Slots last a chat lease past their
 * instance, as the chats do: an instance that dies with replies running frees their slots within a lease, while its
 * chats wait for recovery to refund them.
 */
export function chatsInFlight(limits: Limits, ai: AiConfig, chatLeaseMs: number): InFlightSlots {
  return limits.slots('chats-in-flight', { maxPerKey: ai.maxConcurrentPerUser, ttlMs: chatLeaseMs })
}
