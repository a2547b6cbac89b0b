import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { refundExpiredChats } from '../modules/chat/recovery.js'
import { IDEMPOTENCY_KEY_TTL_MS } from '../modules/idempotency/service.js'

const LONGEST_SWEEP_INTERVAL_MS = 60_000

/**
 * Refunds the chats whose lease has expired and forgets expired idempotency keys, once a lease (at most once a
 * minute), so that a chat whose instance died is refunded within about two leases of its last renewal.
 */
export default fp(
  async function pendingSweep(app: FastifyInstance, { config }: { config: Config }) {
    const sweep = async () => {
      const now = Date.now()
      await refundExpiredChats(app.store, app.log, now)
      await app.store.purgeIdempotencyKeys(now - IDEMPOTENCY_KEY_TTL_MS)
    }
    const timer = setInterval(
      () => sweep().catch((err) => app.log.error({ err }, 'pending sweep failed')),
      Math.min(LONGEST_SWEEP_INTERVAL_MS, config.chatLeaseMs)
    )
    timer.unref()
    app.addHook('onClose', async () => clearInterval(timer))
  },
  { name: 'pending-sweep', dependencies: ['store'] }
)
