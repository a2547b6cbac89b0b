import { isStorageUnavailable, storageUnavailable } from '../../problems/errors.js'

/**
 * SQLSTATE classes and codes that say the database could not take an operation, not that the operation was wrong:
 * 08 connection exceptions, 53 insufficient resources (a full disk, out of memory, too many connections), 57 operator
 * intervention (a server shutting down, a cancelled statement), 58 system errors (I/O), XX internal errors, 40001 and
 * 40P01 (a serialization failure or deadlock that outlasted its retries), 25006 a read-only server. Constraint
 * violations (class 23) and bad SQL are not among them.
 */
const STORAGE_FAILURE_SQLSTATE = /^(08|53|57|58|XX)|^(40001|40P01|25006)$/
/** Node's socket errors, and the pool's own, carry no SQLSTATE. */
const CONNECTION_FAILURE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)$/
const POOL_FAILURE = /timeout exceeded when trying to connect|Connection terminated|Cannot use a pool after calling end/

const RETRYABLE_SQLSTATE = /^(40001|40P01)$/

function codes(error: unknown): string[] {
  const found: string[] = []
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string') found.push(code)
    if (cause instanceof AggregateError) found.push(...cause.errors.flatMap(codes))
  }
  return found
}

function messages(error: unknown): string[] {
  const found: string[] = []
  for (let cause = error; cause instanceof Error; cause = cause.cause) found.push(cause.message)
  return found
}

export function isStorageFailure(error: unknown): boolean {
  if (isStorageUnavailable(error)) return false
  return (
    codes(error).some((code) => STORAGE_FAILURE_SQLSTATE.test(code) || CONNECTION_FAILURE.test(code)) ||
    messages(error).some((message) => POOL_FAILURE.test(message))
  )
}

/** A transaction that lost to a concurrent one (serialization failure or deadlock) ran nothing and may run again. */
export function isRetryable(error: unknown): boolean {
  return codes(error).some((code) => RETRYABLE_SQLSTATE.test(code))
}

export function asStoreError(error: unknown): unknown {
  return isStorageFailure(error) ? storageUnavailable(error) : error
}

type Operation = (...args: unknown[]) => Promise<unknown>

/**
 * Applies the store's contract for failures (see `Store`) to every method of the PostgreSQL store, each of which first
 * waits for `migrated`, the start-up migration.
 */
export function withStorageFailures<T extends object>(operations: T, migrated: Promise<unknown>): T {
  const guarded = Object.entries(operations as Record<string, Operation>).map(([name, operation]) => [
    name,
    async (...args: unknown[]) => {
      try {
        await migrated
        return await operation(...args)
      } catch (error) {
        throw asStoreError(error)
      }
    }
  ])
  return Object.fromEntries(guarded) as T
}

/** Whether the driver's error (also beneath drizzle's wrapping) has this SQLSTATE. */
export function hasSqlState(error: unknown, sqlState: string): boolean {
  return codes(error).includes(sqlState)
}
