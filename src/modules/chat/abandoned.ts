import type { ChargingStore } from '../../db/store.js'
import { MAX_REPLY_IDLE_PERIODS } from './service.js'

const MARGIN_MS = 60_000

/** No live chat lasts longer: its reply's total time limit, plus a margin for its store writes. */
export function longestChatMs(timeoutMs: number): number {
  return timeoutMs * MAX_REPLY_IDLE_PERIODS + MARGIN_MS
}

/**
 * A chat pending for longer than `longestChatMs` was abandoned by a process that died while another keeps running on
 * the same database: refund it.
 */
export function refundAbandonedChats(store: ChargingStore, timeoutMs: number, now: number): Promise<number> {
  return store.refundPendingChats(now - longestChatMs(timeoutMs), now)
}
