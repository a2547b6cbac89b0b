import { loadavg } from 'node:os'
import { join } from 'node:path'
import { describeMachine, machineLine, type Machine } from './machine.js'
import { buildService, productionRuntime } from './production-runtime.js'
import { progress } from './progress.js'
import { RunResources } from './run-resources.js'
import { formatTable, writeResults } from './report.js'
import type { ScenarioResult } from './rounds.js'
import { POSTGRES_SCENARIOS, scenarioIds } from './scenarios.js'
import { benchServiceEnv } from './service-env.js'
import { startServer } from './servers.js'
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
const serviceEnv = benchServiceEnv()
const production = productionRuntime()
const traceGc = process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []
const profiling = settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', settings.cpuProfileDir] : []

const resources = new RunResources('ai-chat-bench')
const { running } = resources

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
    // The service's runtime and secret, so that the two differ only in their code.
    minimal: {
      script: 'bench/minimal-server.ts',
      env: { ...production.env, JWT_SECRET: serviceEnv.JWT_SECRET! },
      nodeArgs: production.nodeArgs
    },
    running
  }

  const results: ScenarioResult[] = await measureOnStore(
    { database: 'sqlite', databaseUrl: join(resources.workDir, 'bench.sqlite'), selected },
    context
  )
  let postgres: Machine['postgres']
  const onPostgres = (id: string) => POSTGRES_SCENARIOS.includes(id) && selected(id)
  if (settings.postgresServerUrl && knownIds.some(onPostgres)) {
    const database = await resources.createPostgresDatabase(settings.postgresServerUrl, serviceEnv)
    postgres = database.postgres
    progress(`postgres: created ${new URL(database.url).pathname.slice(1)} on ${postgres.server}`)
    results.push(
      ...(await measureOnStore({ database: 'postgres', databaseUrl: database.url, selected: onPostgres }, context))
    )
  }
  await resources.cleanUp()

  const machine = describeMachine(loadBefore, postgres)
  const checks = checkTargets(results)
  console.log(machineLine(machine, `${settings.rounds} rounds × ${settings.durationSeconds} s per side`) + '\n')
  console.log(formatTable(results, checks))
  writeResults(settings, machine, results, checks)
  progress(`wrote ${settings.resultsFile}`)
} finally {
  await resources.cleanUp()
}
