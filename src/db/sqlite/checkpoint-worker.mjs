// Plain JavaScript: Node 20 does not hand tsx's loader to worker threads, so this file must run as it is.
import Database from 'better-sqlite3'
import { parentPort, workerData } from 'node:worker_threads'

/** @type {import('./checkpointer.js').CheckpointWorkerData} */
const { databaseUrl, synchronous, intervalMs, busyTimeoutMs } = workerData
const connection = new Database(databaseUrl, { timeout: busyTimeoutMs })
connection.pragma(`synchronous = ${synchronous.toUpperCase()}`)
// PASSIVE neither waits for nor blocks the request connection; frames it cannot reach now are taken next time.
const timer = setInterval(() => connection.pragma('wal_checkpoint(PASSIVE)'), intervalMs)

parentPort?.once('message', () => {
  clearInterval(timer)
  connection.close()
  parentPort?.close()
})
