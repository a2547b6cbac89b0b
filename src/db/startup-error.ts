import { isStorageUnavailable } from '../errors.js'

/** The database cannot be opened or used at start-up (a full disk, a folder that cannot be written); one line says why. */
export class DatabaseStartupError extends Error {
  constructor(databaseUrl: string, cause: unknown) {
    super(`Cannot use the database ${databaseUrl}: ${reasonOf(cause)}`, { cause })
    this.name = 'DatabaseStartupError'
  }
}

function reasonOf(cause: unknown): string {
  const driverError = isStorageUnavailable(cause) ? (cause as Error).cause : cause
  const { message, code } = driverError as { message?: string; code?: string }
  if (message === undefined) return String(driverError)
  return code === undefined || message.includes(code) ? message : `${message} (${code})`
}
