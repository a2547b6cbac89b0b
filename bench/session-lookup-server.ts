import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { notifiedSessionCache } from './notified-session-cache.js'

/**
 * The service on PostgreSQL as `src/server.ts` builds it, with the session read on every request
 * (`SESSION_LOOKUP=read`) or answered by the LISTEN/NOTIFY cache of the experiment (`SESSION_LOOKUP=cache`).
 */
const config = loadConfig(process.env)
if (config.database.kind !== 'postgres') throw new Error('the session lookup bench runs on PostgreSQL')
const cache = process.env.SESSION_LOOKUP === 'cache' ? notifiedSessionCache(config.database.url) : undefined
const app = await buildApp(config, cache ? { store: cache.wrap } : {})
if (cache) app.addHook('onClose', cache.close)

process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
await app.listen({ port: config.port, host: config.host })
