import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, resolveModels } from './config.js'
import { DatabaseStartupError } from './db/startup-error.js'
import { loadEnvFile } from './env-file.js'
import { resolveConfigSecret } from './jwt-secret.js'
import { startupSummary } from './startup-summary.js'

try {
  loadEnvFile()
  const { config, jwtSecretSource } = resolveConfigSecret(resolveModels(loadConfig(process.env)))
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
  const address = await app.listen({ port: config.port, host: config.host })
  const { details, message } = startupSummary(config, address, jwtSecretSource)
  app.log.info(details, message)
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof DatabaseStartupError)) throw error
  console.error(error.message)
  process.exit(1)
}
