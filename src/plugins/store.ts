import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { describeDatabase } from '../db/database-config.js'
import { createStore } from '../db/create-store.js'
import { DatabaseStartupError } from '../db/startup-error.js'
import type { Store } from '../db/store.js'
import { isStorageUnavailable } from '../problems/errors.js'
import { backfillUsernameSkeletons } from '../modules/auth/service.js'
import { refundExpiredChats } from '../modules/chat/recovery.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: Store
  }
}

/**
 * Opens the store, gives old accounts their username skeletons, refunds the chats whose lease expired (those of a
 * process that died; the live replies of another process on the same database keep theirs), and closes the store
 * with the app.
 */
export default fp(
  async function store(
    app: FastifyInstance,
    { config, decorate = (opened) => opened }: { config: Config; decorate?: (store: Store) => Store }
  ) {
    const store = decorate(
      await createStore(config.database, { onBackgroundError: (err, message) => app.log.error({ err }, message) })
    )
    app.decorate('store', store)
    app.addHook('onClose', () => store.close())
    try {
      const lookalikes = await backfillUsernameSkeletons(store)
      if (lookalikes.length > 0) {
        app.log.warn({ usernames: lookalikes }, 'accounts whose usernames look like those of older accounts')
      }
      await refundExpiredChats(store, app.log)
    } catch (error) {
      throw isStorageUnavailable(error) ? new DatabaseStartupError(describeDatabase(config.database), error) : error
    }
  },
  { name: 'store' }
)
