import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { withJwtSecret } from './jwt-secret.js'
import { DatabaseStartupError } from './db/startup-error.js'

try {
  const config = withJwtSecret(loadConfig(process.env))
  const app = await buildApp(config)
  // app.close() stops accepting connections, lets requests in flight finish, then closes the database; a request
  // still running at the deadline is cut off and the process exits with status 1.
  closeWithGrace(
    {
      delay: config.shutdownTimeoutMs,
      onTimeout: (delay) => app.log.error({ delay }, 'requests still running at the shutdown deadline; exiting')
    },
    async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'shutting down after an unexpected error')
      else app.log.info({ signal }, 'shutting down')
      await app.close()
      app.log.info('closed')
    }
  )
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof DatabaseStartupError)) throw error
  console.error(error.message)
  process.exit(1)
}
