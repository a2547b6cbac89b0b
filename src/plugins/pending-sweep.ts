import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { refundAbandonedChats } from '../modules/chat/abandoned.js'
import { IDEMPOTENCY_KEY_TTL_MS } from '../modules/idempotency/service.js'

const SWEEP_INTERVAL_MS = 60_000

/** Every minute, refunds chats that stayed pending past any reply's time limit and forgets expired idempotency keys. */
export default fp(
  async function pendingSweep(app: FastifyInstance, { config }: { config: Config }) {
    const sweep = async () => {
      const now = Date.now()
      const refunded = await refundAbandonedChats(app.store, config.ai.timeoutMs, now)
      if (refunded > 0) app.log.warn({ refunded }, 'refunded abandoned pending chats')
      await app.store.purgeIdempotencyKeys(now - IDEMPOTENCY_KEY_TTL_MS)
    }
    const timer = setInterval(
      () => sweep().catch((err) => app.log.error({ err }, 'pending sweep failed')),
      SWEEP_INTERVAL_MS
    )
    timer.unref()
    app.addHook('onClose', async () => clearInterval(timer))
  },
  { name: 'pending-sweep', dependencies: ['store'] }
)
