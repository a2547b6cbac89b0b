import type { Config } from './config.js'
import { urlWithoutPassword } from './url-without-password.js'

/**
 * The start-up log line: where the docs are, and what this instance runs on, without secrets (a URL's password
 * becomes `***`; the JWT secret is only said to be set, generated or read, never shown).
 */
export function startupSummary(config: Config, address: string, jwtSecretSource: string) {
  const docs = `${address}/docs`
  const { database, ai, limits, models } = config
  const details = {
    docs,
    store:
      database.kind === 'sqlite'
        ? { kind: 'sqlite', path: database.path }
        : { kind: 'postgres', url: urlWithoutPassword(database.url) },
    ai: { provider: ai.provider, models: [...models.models.keys()], defaultModel: models.defaultModel.id },
    limits: limits.kind === 'redis' ? { kind: 'redis', url: urlWithoutPassword(limits.url) } : { kind: 'memory' },
    jwtSecretSource
  }
  return { details, message: `ready: docs at ${docs}` }
}
