import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const SECRET_FILE = 'jwt-secret'

/**
 * Outside production a JWT secret is generated on first start and kept beside the database (mode 0600),
 * so restarts keep sessions valid. An in-memory database gets a secret that lives as long as the process.
 */
export function resolveJwtSecret(databaseUrl: string): string {
  if (databaseUrl === ':memory:') return randomBytes(32).toString('base64url')
  const directory = dirname(databaseUrl)
  const path = join(directory, SECRET_FILE)
  mkdirSync(directory, { recursive: true })
  try {
    writeFileSync(path, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return readFileSync(path, 'utf8').trim()
}
