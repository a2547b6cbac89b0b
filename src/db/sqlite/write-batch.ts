import type Database from 'better-sqlite3'

/** Queues a write to run in the next batch; resolves with its result once the batch is committed. */
export type BatchedWrite = <T>(write: () => T) => Promise<T>

interface QueuedWrite {
  write: () => unknown
  resolve: (value: never) => void
  reject: (error: unknown) => void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/**
 * Group commit. Writes queued in the same turn of the event loop run one after another inside a single IMMEDIATE
 * transaction and share its commit, which is most of what a small write costs (every page it touched is appended to
 * the WAL). Each write runs in a savepoint of its own: it succeeds or fails alone, whatever statements it ran before
 * failing, and sees the writes queued before it. No caller hears of its result before the commit has succeeded; if
 * the commit fails, or a failure ends the whole transaction, every write of the batch fails.
 */
export function createWriteBatcher(sqlite: Database.Database): BatchedWrite {
  let queue: QueuedWrite[] = []
  // Called inside the batch's transaction, a better-sqlite3 transaction function runs as a savepoint.
  const inSavepoint = sqlite.transaction((write: () => unknown) => write())

  const runBatch = sqlite.transaction((batch: QueuedWrite[]): Outcome[] =>
    batch.map(({ write }) => {
      try {
        return { ok: true, value: inSavepoint(write) }
      } catch (error) {
        // An I/O error or a full disk rolls back the whole transaction: the writes after it would otherwise commit
        // on their own while the ones before it are lost.
        if (!sqlite.inTransaction) throw error
        return { ok: false, error }
      }
    })
  ).immediate

  function flush() {
    const batch = queue
    queue = []
    let outcomes: Outcome[]
    try {
      outcomes = runBatch(batch)
    } catch (error) {
      for (const { reject } of batch) reject(error)
      return
    }
    batch.forEach(({ resolve, reject }, index) => {
      const outcome = outcomes[index]!
      if (outcome.ok) resolve(outcome.value as never)
      else reject(outcome.error)
    })
  }

  return <T>(write: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (queue.push({ write, resolve, reject }) === 1) setImmediate(flush)
    })
}
