import { randomBytes } from 'node:crypto'
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Config } from './config.js'
import { ConfigError } from './config-error.js'
import type { DatabaseConfig } from './db/database-config.js'
import { createPrivateFile, makePrivateDirectory } from './private-files.js'

const SECRET_FILE = 'jwt-secret'
const GROUP_AND_OTHERS = 0o077

/** The configuration with its JWT secret: `JWT_SECRET` when set, else one resolved as `resolveJwtSecret` says. */
export function withJwtSecret(config: Config): Config {
  return resolveConfigSecret(config).config
}

/** As `withJwtSecret`, and where the secret came from, in words, for the start-up log line. */
export function resolveConfigSecret(config: Config): { config: Config; jwtSecretSource: string } {
  if (config.jwtSecret !== undefined) return { config, jwtSecretSource: 'JWT_SECRET' }
  const { secret, source } = resolveJwtSecret(config.database)
  return { config: { ...config, jwtSecret: secret }, jwtSecretSource: source }
}

/**
 * Outside production a JWT secret is generated on first start and kept beside the database (mode 0600, in a 0700
 * folder), so restarts keep sessions valid. An in-memory database gets a secret that lives as long as the process.
 * Instances on one PostgreSQL database must verify each other's tokens: there the secret is required.
 */
function resolveJwtSecret(database: DatabaseConfig): { secret: string; source: string } {
  if (database.kind === 'postgres') {
    throw new ConfigError(
      'Invalid environment variable JWT_SECRET: required with a PostgreSQL DATABASE_URL, the same for every instance'
    )
  }
  if (database.path === ':memory:') {
    return { secret: randomBytes(32).toString('base64url'), source: 'generated for this process (in-memory database)' }
  }
  const directory = dirname(database.path)
  const path = join(directory, SECRET_FILE)
  makePrivateDirectory(directory)
  const generated = randomBytes(48).toString('base64url')
  if (createPrivateFile(path, generated)) return { secret: generated, source: `generated into ${path}` }
  return { secret: readPrivateSecret(path), source: `generated earlier, read from ${path}` }
}

/** Whoever else can read the file can sign tokens, and whoever else owns or can write it can choose the secret. */
function readPrivateSecret(path: string): string {
  const descriptor = openSync(path, 'r')
  try {
    const { uid, mode } = fstatSync(descriptor)
    const ownUid = process.getuid?.()
    if (ownUid !== undefined && uid !== ownUid) {
      refuse(path, `it belongs to uid ${uid}, not to uid ${ownUid} that runs the service`, `chown ${ownUid} ${path}`)
    }
    if (mode & GROUP_AND_OTHERS) {
      refuse(path, `other users can read or change it (mode ${(mode & 0o777).toString(8)})`, `chmod 600 ${path}`)
    }
    return readFileSync(descriptor, 'utf8').trim()
  } finally {
    closeSync(descriptor)
  }
}

function refuse(path: string, reason: string, fix: string): never {
  throw new ConfigError(`Refusing the JWT secret in ${path}: ${reason}. Run \`${fix}\`, or set JWT_SECRET.`)
}
