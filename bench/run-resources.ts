import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { createPostgresDatabase } from '../test/postgres-test-database.js'
import type { Machine } from './machine.js'
import { describePostgresServer } from './postgres-server.js'
import type { ServerProcess } from './servers.js'

/**
 * What a benchmark run sets up and takes down again however it ends, also on Ctrl-C: the servers it started, a
 * temporary directory, and a PostgreSQL database of its own.
 */
export class RunResources {
  /** Servers that are up, stopped by `cleanUp`; a run removes one it stopped itself. */
  readonly running: ServerProcess[] = []
  readonly workDir: string
  private dropPostgresDatabase = async () => {}

  constructor(prefix: string) {
    this.workDir = mkdtempSync(join(tmpdir(), `${prefix}-`))
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => void this.cleanUp().finally(() => process.exit(130)))
    }
  }

  /**
   * Creates a database `bench_<random>` on the server of `serverUrl` (its own database is only connected to for
   * `CREATE DATABASE`), dropped by `cleanUp`; returns its URL and the server as results.json records it, with the pool
   * size the service will use in `serviceEnv`.
   */
  async createPostgresDatabase(serverUrl: string, serviceEnv: Record<string, string>) {
    const database = await createPostgresDatabase(serverUrl, 'bench')
    this.dropPostgresDatabase = database.drop
    const config = loadConfig({ ...process.env, ...serviceEnv, DATABASE_URL: database.url })
    if (config.database.kind !== 'postgres') throw new Error('BENCH_DATABASE_URL: expected a postgres:// URL')
    const postgres: Machine['postgres'] = {
      ...(await describePostgresServer(database.url)),
      poolSize: config.database.poolSize
    }
    return { url: database.url, postgres }
  }

  async cleanUp() {
    await Promise.all(this.running.splice(0).map((server) => server.stop()))
    const drop = this.dropPostgresDatabase
    this.dropPostgresDatabase = async () => {}
    await drop()
    rmSync(this.workDir, { recursive: true, force: true })
  }
}
