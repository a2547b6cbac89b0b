import type Database from 'better-sqlite3'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export interface CheckpointerOptions {
  databaseUrl: string
  synchronous: 'normal' | 'full'
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

/**
 * The worker's program, as plain CommonJS: a file would need tsx's loader, which Node 20 does not give to worker
 * threads, and a copy step in the build, which compiles only TypeScript. PASSIVE neither waits for nor blocks the
 * request connection; frames it cannot reach now are taken next time.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driverPath)
const connection = new Database(workerData.databaseUrl, { timeout: workerData.busyTimeoutMs })
connection.pragma('synchronous = ' + workerData.synchronous.toUpperCase())
const timer = setInterval(() => connection.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs)
parentPort.once('message', () => {
  clearInterval(timer)
  connection.close()
  parentPort.close()
})
`
const DRIVER_PATH = createRequire(import.meta.url).resolve('better-sqlite3')

export interface Checkpointer {
  stop(): Promise<void>
}

/**
 * Checkpoints the WAL of `sqlite`'s database from a worker thread with its own connection, so that the fsyncs never
 * block requests. If the worker fails, the request connection goes back to SQLite's default checkpointing.
 */
export function startCheckpointer(
  sqlite: Database.Database,
  options: CheckpointerOptions,
  onError: (error: Error) => void
): Checkpointer {
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...options, intervalMs: INTERVAL_MS, driverPath: DRIVER_PATH }
  })
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
