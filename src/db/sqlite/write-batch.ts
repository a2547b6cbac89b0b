import type Database from 'better-sqlite3'
import { storageUnavailable } from '../../problems/errors.js'
import { BUSY_DEADLINE_MS, busyRetryDelay, isLockHeld } from './storage-failures.js'

/** Queues a write to run in the next batch; resolves with its result once the batch is committed. */
export type BatchedWrite = <T>(write: () => T) => Promise<T>

interface QueuedWrite {
  write: () => unknown
  resolve: (value: never) => void
  reject: (error: unknown) => void
  /** When the write stops waiting for another connection's write lock. */
  deadline: number
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/**
 * Group commit. Writes queued in the same turn of the event loop run one after another inside a single IMMEDIATE
 * transaction and share its commit, which is most of what a small write costs (every page it touched is appended to
 * the WAL). Each write runs in a savepoint of its own: it succeeds or fails alone, whatever statements it ran before
 * failing, and sees the writes queued before it. No caller hears of its result before the commit has succeeded; if
 * the commit fails, or a failure ends the whole transaction, every write of the batch fails.
 *
 * While another connection holds the write lock, BEGIN IMMEDIATE fails before any write has run: the batch waits,
 * off the event loop, and tries again, joined by the writes queued meanwhile; a write still waiting at its deadline
 * fails with `storage_unavailable`.
 */
export function createWriteBatcher(sqlite: Database.Database, busyDeadlineMs = BUSY_DEADLINE_MS): BatchedWrite {
  let queue: QueuedWrite[] = []
  let lockAttempts = 0
  let began = false
  // Called inside the batch's transaction, a better-sqlite3 transaction function runs as a savepoint.
  const inSavepoint = sqlite.transaction((write: () => unknown) => write())

  const runBatch = sqlite.transaction((batch: QueuedWrite[]): Outcome[] => {
    began = true
    return batch.map(({ write }) => {
      try {
        return { ok: true, value: inSavepoint(write) }
      } catch (error) {
        // An I/O error or a full disk rolls back the whole transaction: the writes after it would otherwise commit
        // on their own while the ones before it are lost.
        if (!sqlite.inTransaction) throw error
        return { ok: false, error }
      }
    })
  }).immediate

  function flush() {
    const batch = queue
    queue = []
    let outcomes: Outcome[]
    began = false
    try {
      outcomes = runBatch(batch)
    } catch (error) {
      if (!began && isLockHeld(error)) waitForLock(batch, error)
      else for (const { reject } of batch) reject(error)
      return
    }
    lockAttempts = 0
    batch.forEach(({ resolve, reject }, index) => {
      const outcome = outcomes[index]!
      if (outcome.ok) resolve(outcome.value as never)
      else reject(outcome.error)
    })
  }

  function waitForLock(batch: QueuedWrite[], error: unknown) {
    const delay = busyRetryDelay(lockAttempts++)
    const retryAt = Date.now() + delay
    queue = batch.filter((queued) => {
      if (retryAt < queued.deadline) return true
      queued.reject(storageUnavailable(error))
      return false
    })
    // A queue that is not empty has its flush scheduled: writes queued meanwhile join this one.
    if (queue.length > 0) setTimeout(flush, delay)
    else lockAttempts = 0
  }

  return <T>(write: () => T) =>
    new Promise<T>((resolve, reject) => {
      const queued = { write, resolve, reject, deadline: Date.now() + busyDeadlineMs }
      if (queue.push(queued) === 1) setImmediate(flush)
    })
}
