import type Database from 'better-sqlite3'
import { Worker } from 'node:worker_threads'

export interface CheckpointWorkerData {
  databaseUrl: string
  synchronous: 'normal' | 'full'
  intervalMs: number
  busyTimeoutMs: number
}

const INTERVAL_MS = 50
/**
 * Left to SQLite, the connection that serves requests copies the WAL back into the database every 1,000 pages, with
 * two fsyncs, on the event loop: a stall of several milliseconds every ~100 chat messages. The worker takes that
 * work. Under a sustained stream of writes the WAL cannot restart while a checkpoint runs, so the request connection
 * still checkpoints itself, rarely, to bound the WAL's size (40 MB of 4 KiB pages).
 */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000
const WORKER_URL = new URL('./checkpoint-worker.mjs', import.meta.url)

export interface Checkpointer {
  stop(): Promise<void>
}

/**
 * Checkpoints the WAL of `sqlite`'s database from a worker thread with its own connection, so that the fsyncs never
 * block requests. If the worker fails, the request connection goes back to SQLite's default checkpointing.
 */
export function startCheckpointer(
  sqlite: Database.Database,
  data: Omit<CheckpointWorkerData, 'intervalMs'>,
  onError: (error: Error) => void
): Checkpointer {
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
  const worker = new Worker(WORKER_URL, { workerData: { ...data, intervalMs: INTERVAL_MS } })
  worker.unref()
  worker.on('error', (error) => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`)
    onError(error)
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    stop: async () => {
      // Unreferenced so that it never keeps a process alive on its own, but its goodbye must be waited for.
      worker.ref()
      worker.postMessage('stop')
      await exited
    }
  }
}
