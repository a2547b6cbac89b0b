import type { ChargingStore } from '../../db/store.js'
import { MAX_REPLY_IDLE_PERIODS } from './service.js'

const MARGIN_MS = 60_000

/**
 * No live reply lasts longer than its total time limit, so a chat pending for longer than that (plus a margin) was
 * abandoned by a process that died while another keeps running on the same database: refund it.
 */
export function refundAbandonedChats(store: ChargingStore, timeoutMs: number, now: number): Promise<number> {
  return store.refundPendingChats(now - timeoutMs * MAX_REPLY_IDLE_PERIODS - MARGIN_MS, now)
}
