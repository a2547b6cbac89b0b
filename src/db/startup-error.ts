/** The database cannot be opened or used at start-up (a full disk, a folder that cannot be written); one line says why. */
export class DatabaseStartupError extends Error {
  constructor(database: string, cause: unknown) {
    super(`Cannot use the database ${database}: ${reasonOf(cause)}`, { cause })
    this.name = 'DatabaseStartupError'
  }
}

/** What the driver or the file system said, beneath the errors that wrap it. */
function reasonOf(cause: unknown): string {
  let inner = cause
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause
  if (!(inner instanceof Error)) return String(inner)
  const code = (inner as { code?: unknown }).code
  return typeof code === 'string' && !inner.message.includes(code) ? `${inner.message} (${code})` : inner.message
}
