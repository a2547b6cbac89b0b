import { loadavg } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { FAKE_MODEL } from '../test/fake-openai.js'
import { authHeaders, postJson, register } from './fixtures.js'
import { describeMachine, machineLine, type Machine } from './machine.js'
import { SequentialClient } from './overhead-client.js'
import { overheadPaths } from './overhead-paths.js'
import { checkOverhead, formatOverheadTable, formatServerTimingTable, type OverheadResult } from './overhead-report.js'
import { measurePath } from './overhead-rounds.js'
import { readOverheadSettings } from './overhead-settings.js'
import { buildService, productionRuntime } from './production-runtime.js'
import { progress } from './progress.js'
import { RunResources } from './run-resources.js'
import { updateResults } from './results-file.js'
import type { StoreKind } from './rounds.js'
import { benchServiceEnv } from './service-env.js'
import { startServer } from './servers.js'

/**
 * What the service adds to a call's latency: sequential calls on loopback to the tests' fake OpenAI server, directly
 * and through the service (chat messages and `/v1`, plain and streamed), in interleaved rounds. SQLite always, and
 * PostgreSQL on a database of its own when BENCH_DATABASE_URL names a server. Method and knobs: bench/NOTES.md,
 * "Overhead".
 */
const settings = readOverheadSettings(process.env)
const production = productionRuntime()
const profiling = settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', settings.cpuProfileDir] : []
const serviceEnv = benchServiceEnv()

const resources = new RunResources('ai-chat-overhead')
const { running } = resources

const loadBefore = loadavg()[0]!
try {
  progress(`built dist/ in ${buildService()} ms`)
  const upstream = await startServer({ name: 'fake upstream', script: 'bench/fake-upstream.ts', env: {} })
  running.push(upstream)
  const upstreamUrl = `${upstream.url}/v1`
  const results: OverheadResult[] = await measureOnStore(
    'sqlite',
    join(resources.workDir, 'overhead.sqlite'),
    upstreamUrl
  )
  let postgres: Machine['postgres']
  if (settings.postgresServerUrl) {
    const database = await resources.createPostgresDatabase(settings.postgresServerUrl, serviceEnv)
    postgres = database.postgres
    results.push(...(await measureOnStore('postgres', database.url, upstreamUrl)))
  }
  await resources.cleanUp()

  const machine = describeMachine(loadBefore, postgres)
  const checks = checkOverhead(results)
  const { rounds, requestsPerRound, warmupRequests } = settings
  console.log(
    machineLine(
      machine,
      `${rounds} rounds × ${requestsPerRound} sequential calls per side, ${warmupRequests} warm-up`
    ) + '\n'
  )
  console.log(formatOverheadTable(results, checks))
  console.log('\nServer-Timing, medians in ms (a stream names the phases until it opens):\n')
  console.log(formatServerTimingTable(results))
  const { cpuProfileDir: _profileDir, postgresServerUrl: _server, resultsFile, ...runSettings } = settings
  const overhead = { date: new Date().toISOString(), machine, settings: runSettings, targets: checks, paths: results }
  updateResults(resultsFile, { overhead: toMicroseconds(overhead) })
  progress(`wrote the overhead into ${resultsFile}`)
} finally {
  await resources.cleanUp()
}

/** Starts the service on the store's empty database, measures each selected path, and stops the service again. */
async function measureOnStore(database: StoreKind, databaseUrl: string, upstreamUrl: string) {
  const env = {
    ...serviceEnv,
    ...production.env,
    DATABASE_URL: databaseUrl,
    AI_PROVIDER: 'openai',
    AI_BASE_URL: upstreamUrl,
    AI_MODEL: FAKE_MODEL
  }
  const service = await startServer({
    name: `service on ${database}`,
    script: 'dist/server.js',
    env,
    nodeArgs: [...production.nodeArgs, ...profiling]
  })
  running.push(service)
  const clients = { direct: new SequentialClient(), service: new SequentialClient() }
  try {
    await register(service.url, 'overhead')
    const headers = await authHeaders(service.url, 'overhead')
    const { secret } = (await postJson(service.url, '/api/keys/', { name: 'overhead' }, 201, headers)) as {
      secret: string
    }
    const paths = overheadPaths({
      serviceUrl: service.url,
      upstreamUrl,
      model: FAKE_MODEL,
      systemPrompt: loadConfig(env).ai.systemPrompt,
      accessToken: headers.authorization!.slice('Bearer '.length),
      apiKey: secret
    })
    const results: OverheadResult[] = []
    for (const path of paths.filter((candidate) => settings.paths.includes(candidate.id))) {
      const measured = await measurePath(path, clients, settings)
      results.push({ path: path.id, title: path.title, database, ...measured })
      progress(
        `${database}: ${path.title}: direct p50 ${measured.median.direct.p50.toFixed(3)} ms, ` +
          `added p50 ${measured.added.p50.toFixed(3)} ms, p99 ${measured.added.p99.toFixed(3)} ms`
      )
    }
    return results
  } finally {
    clients.direct.close()
    clients.service.close()
    running.splice(running.indexOf(service), 1)
    await service.stop()
  }
}

/** The document with its milliseconds rounded to microseconds, the resolution that means anything here. */
function toMicroseconds<T>(document: T): T {
  return JSON.parse(
    JSON.stringify(document, (_key, value: unknown) =>
      typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value
    )
  ) as T
}
