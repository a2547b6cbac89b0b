import Database from 'better-sqlite3'
import { setTimeout as sleep } from 'node:timers/promises'
import { isStorageUnavailable, storageUnavailable } from '../../problems/errors.js'
import type { Store } from '../store.js'

/** How long an operation keeps trying while another connection holds the write lock. */
export const BUSY_DEADLINE_MS = 5000

const FIRST_BUSY_RETRY_MS = 10
const LONGEST_BUSY_RETRY_MS = 200

/**
 * Result codes (with their extended forms, such as SQLITE_IOERR_FSYNC) that say the database could not take an
 * operation, not that the operation was wrong: constraint violations, misuse and bad SQL are not among them.
 */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|NOMEM|CORRUPT|NOTADB|PROTOCOL)(_|$)/
const LOCK_HELD = /^SQLITE_(BUSY|LOCKED)(_|$)/

/**
 * The driver's result code, also when drizzle has wrapped the driver's error (as its migrator does); none for an
 * error already turned into `storage_unavailable`, such as a batched write's at its deadline, which is final.
 */
function sqliteCode(error: unknown): string | undefined {
  if (isStorageUnavailable(error)) return undefined
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof Database.SqliteError) return cause.code
  }
  return undefined
}

export function isStorageFailure(error: unknown): boolean {
  return STORAGE_FAILURE.test(sqliteCode(error) ?? '')
}

/** Another connection holds the lock; the operation ran nothing and may be tried again. */
export function isLockHeld(error: unknown): boolean {
  return LOCK_HELD.test(sqliteCode(error) ?? '')
}

/** Waits between attempts: 10 ms, doubling up to 200 ms, so that the lock's release is seen soon. */
export function busyRetryDelay(attempt: number): number {
  return Math.min(FIRST_BUSY_RETRY_MS * 2 ** attempt, LONGEST_BUSY_RETRY_MS)
}

/** The error a store method rejects with: a storage failure becomes `storage_unavailable`; anything else stays. */
export function asStoreError(error: unknown): unknown {
  return isStorageFailure(error) ? storageUnavailable(error) : error
}

/**
 * Runs `operation` again, after a pause in which the event loop serves other requests, while it fails because
 * another connection holds the lock, up to the deadline. Safe because every store method is one transaction or one
 * statement (or, as refundExpiredChats, idempotent): one that failed on a lock ran nothing, since better-sqlite3
 * rolls back a transaction whose body or COMMIT failed.
 */
async function retryWhileLocked<T>(operation: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_DEADLINE_MS
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      const delay = busyRetryDelay(attempt)
      if (!isLockHeld(error) || Date.now() + delay >= deadline) throw asStoreError(error)
      await sleep(delay)
    }
  }
}

/** Applies the store's contract for failures (see `Store`) to every method of the SQLite store, in one place. */
export function withStorageFailures(store: Store): Store {
  const guarded = Object.entries(store).map(([name, method]: [string, (...args: unknown[]) => Promise<unknown>]) => [
    name,
    (...args: unknown[]) => retryWhileLocked(() => method(...args))
  ])
  return Object.fromEntries(guarded) as Store
}
