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
 * request connection; frames it cannot reach now are taken next time. The first checkpoint is reported, so that the
 * request connection leaves checkpointing to the worker only once it works.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driverPath)
const connection = new Database(workerData.databaseUrl, { timeout: workerData.busyTimeoutMs })
connection.pragma('synchronous = ' + workerData.synchronous.toUpperCase())
let reported = false
const timer = setInterval(() => {
  connection.pragma('wal_checkpoint(PASSIVE)')
  if (!reported) parentPort.postMessage('checkpointing')
  reported = true
}, workerData.intervalMs)
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

/** A worker that failed is started again after 1 s, then 2 s, 4 s, … up to a minute, until one checkpoints. */
const FIRST_RESTART_DELAY_MS = 1000
const LONGEST_RESTART_DELAY_MS = 60_000

/**
 * Checkpoints the WAL of `sqlite`'s database from a worker thread with its own connection, so that the fsyncs never
 * block requests. While no worker is checkpointing (it failed, on a full disk say, and waits to be started again),
 * the request connection checkpoints as SQLite does by default.
 */
export function startCheckpointer(
  sqlite: Database.Database,
  options: CheckpointerOptions,
  onError: (error: Error) => void
): Checkpointer {
  let failures = 0
  let stopping = false
  let restartTimer: NodeJS.Timeout | undefined
  let exited = Promise.resolve()
  let worker: Worker

  function start() {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...options, intervalMs: INTERVAL_MS, driverPath: DRIVER_PATH }
    })
    worker.unref()
    worker.once('message', () => {
      failures = 0
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
    })
    worker.on('error', (error) => {
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`)
      onError(error)
      if (stopping) return
      const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** failures++, LONGEST_RESTART_DELAY_MS)
      restartTimer = setTimeout(start, delay).unref()
    })
    exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  }

  start()
  return {
    stop: async () => {
      stopping = true
      clearTimeout(restartTimer)
      // Unreferenced so that it never keeps a process alive on its own, but its goodbye must be waited for.
      worker.ref()
      worker.postMessage('stop')
      await exited
    }
  }
}
