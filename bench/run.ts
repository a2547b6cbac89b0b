import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { createPostgresDatabase } from '../test/postgres-test-database.js'
import { describeMachine, machineLine, type Machine } from './machine.js'
import { describePostgresServer } from './postgres-server.js'
import { buildService, productionRuntime } from './production-runtime.js'
import { progress } from './progress.js'
import { formatTable, writeResults } from './report.js'
import type { ScenarioResult } from './rounds.js'
import { POSTGRES_SCENARIOS, scenarioIds } from './scenarios.js'
import { benchServiceEnv } from './service-env.js'
import { startServer, type ServerProcess } from './servers.js'
import { readSettings } from './settings.js'
import { measureOnStore, type RunContext } from './store-run.js'
import { checkTargets } from './targets.js'

const settings = readSettings(process.env)
const knownIds = scenarioIds(settings)
const unknown = settings.only.filter((id) => !knownIds.includes(id))
if (unknown.length > 0) {
  throw new Error(`BENCH_ONLY names no such scenario: ${unknown.join(', ')} (known: ${knownIds.join(', ')})`)
}
const selected = (id: string) => settings.only.length === 0 || settings.only.includes(id)
const workDir = mkdtempSync(join(tmpdir(), 'ai-chat-bench-'))
const serviceEnv = benchServiceEnv()
const production = productionRuntime()
const traceGc = process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []
const profiling = settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', settings.cpuProfileDir] : []

const running: ServerProcess[] = []
// The run's own PostgreSQL database is dropped however the run ends.
let dropPostgresDatabase = async () => {}
async function cleanUp() {
  await Promise.all(running.splice(0).map((server) => server.stop()))
  const drop = dropPostgresDatabase
  dropPostgresDatabase = async () => {}
  await drop()
  rmSync(workDir, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)))
}

// Other work on the machine shows in the load average; it is reported so that a noisy run can be told apart.
const loadBefore = loadavg()[0]!
try {
  if (settings.service === 'dist') progress(`built dist/ in ${buildService()} ms`)
  const baseline = await startServer({ name: 'baseline', script: 'bench/baseline-server.ts', env: {} })
  running.push(baseline)
  const context: RunContext = {
    settings,
    baseline,
    service: {
      script: settings.service === 'dist' ? 'dist/server.js' : 'src/server.ts',
      env: { ...serviceEnv, ...production.env },
      nodeArgs: [...production.nodeArgs, ...traceGc, ...profiling]
    },
    running
  }

  const results: ScenarioResult[] = await measureOnStore(
    { database: 'sqlite', databaseUrl: join(workDir, 'bench.sqlite'), selected },
    context
  )
  let postgres: Machine['postgres']
  const onPostgres = (id: string) => POSTGRES_SCENARIOS.includes(id) && selected(id)
  if (settings.postgresServerUrl && knownIds.some(onPostgres)) {
    const database = await createPostgresDatabase(settings.postgresServerUrl, 'bench')
    dropPostgresDatabase = database.drop
    const config = loadConfig({ ...process.env, ...serviceEnv, DATABASE_URL: database.url })
    if (config.database.kind !== 'postgres') throw new Error('BENCH_DATABASE_URL: expected a postgres:// URL')
    postgres = { ...(await describePostgresServer(database.url)), poolSize: config.database.poolSize }
    progress(`postgres: created ${new URL(database.url).pathname.slice(1)} on ${postgres.server}`)
    results.push(
      ...(await measureOnStore({ database: 'postgres', databaseUrl: database.url, selected: onPostgres }, context))
    )
  }
  await cleanUp()

  const machine = describeMachine(loadBefore, postgres)
  const checks = checkTargets(results)
  console.log(machineLine(machine, `${settings.rounds} rounds × ${settings.durationSeconds} s per side`) + '\n')
  console.log(formatTable(results, checks))
  writeResults(settings, machine, results, checks)
  progress(`wrote ${settings.resultsFile}`)
} finally {
  await cleanUp()
}
