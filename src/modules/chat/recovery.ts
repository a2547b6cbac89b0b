import type { ChargingStore } from '../../db/store.js'

export interface RecoveryLog {
  warn(details: object, message: string): void
}

const REASON = 'no reply before its lease expired: the instance answering it stopped or gave it up'

/**
 * The one way a chat left pending is recovered, at start-up and by the sweep: the chats whose lease has expired are
 * refunded, each with its Idempotency-Key released in the refund's transaction, so a retry runs afresh. A chat whose
 * reply is still running on some instance, this one or another on the same database, keeps its renewed lease and is
 * left alone. This is the chat module's public surface for plugins.
 */
export async function refundExpiredChats(
  store: Pick<ChargingStore, 'refundExpiredChats'>,
  log: RecoveryLog,
  now = Date.now()
): Promise<number[]> {
  const refunded = await store.refundExpiredChats(REASON, now)
  if (refunded.length > 0) log.warn({ chatIds: refunded }, 'refunded chats whose lease had expired')
  return refunded
}
