import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { FAKE_MODEL } from '../test/fake-openai.js'
import { authHeaders, postJson, register } from './fixtures.js'
import type { Machine } from './machine.js'
import { overheadPaths, type OverheadPath } from './overhead-paths.js'
import { buildService, productionRuntime } from './production-runtime.js'
import { progress } from './progress.js'
import type { StoreKind } from './rounds.js'
import { RunResources } from './run-resources.js'
import { benchServiceEnv } from './service-env.js'
import { startServer, type ServerLaunch } from './servers.js'

/** Where the service meters its calls: the store's empty database, and the fake upstream's `/v1` URL. */
export interface MeteredStore {
  database: StoreKind
  databaseUrl: string
  upstreamUrl: string
}

/** A run against the fake upstream: what it sets up, and how. */
export interface MeteredRun {
  resources: RunResources
  /** How long the fake upstream takes to answer. */
  answerDelayMs: number
  /** A PostgreSQL server to measure on as well, on a database of the run's own. */
  postgresServerUrl: string | undefined
  /** The service's environment besides the production runtime's, the store and the provider (`benchServiceEnv`). */
  serviceEnv: Record<string, string>
  /** When set, the service runs with `--cpu-prof` and writes its profile here on shutdown. */
  cpuProfileDir: string | undefined
}

/**
 * The run of a benchmark against the fake upstream answering after `answerDelayMs`, its temporary files under
 * `name`, the service in `benchServiceEnv()`, the store and profile as the settings say.
 */
export function meteredRun(
  name: string,
  answerDelayMs: number,
  settings: { postgresServerUrl: string | undefined; cpuProfileDir: string | undefined }
): MeteredRun {
  const { postgresServerUrl, cpuProfileDir } = settings
  return {
    resources: new RunResources(name),
    answerDelayMs,
    postgresServerUrl,
    serviceEnv: benchServiceEnv(),
    cpuProfileDir
  }
}

/**
 * The frame of the benchmarks that call the tests' fake OpenAI server directly and through the service: builds the
 * service, starts the fake in a process of its own, and measures on a SQLite file, then on PostgreSQL when the run
 * names a server. Returns the results of both stores, and the PostgreSQL server measured on.
 */
export async function measureAgainstFakeUpstream<Result>(
  run: MeteredRun,
  measureOnStore: (store: MeteredStore) => Promise<Result[]>
): Promise<{ results: Result[]; postgres: Machine['postgres'] }> {
  const { resources } = run
  progress(`built dist/ in ${buildService()} ms`)
  const upstream = await startServer({
    name: 'fake upstream',
    script: 'bench/fake-upstream.ts',
    env: { ANSWER_DELAY_MS: String(run.answerDelayMs) }
  })
  resources.running.push(upstream)
  const upstreamUrl = `${upstream.url}/v1`
  const databaseUrl = join(resources.workDir, 'metered.sqlite')
  const results = await measureOnStore({ database: 'sqlite', databaseUrl, upstreamUrl })
  let postgres: Machine['postgres']
  if (run.postgresServerUrl) {
    const database = await resources.createPostgresDatabase(run.postgresServerUrl, run.serviceEnv)
    postgres = database.postgres
    results.push(...(await measureOnStore({ database: 'postgres', databaseUrl: database.url, upstreamUrl })))
  }
  await resources.cleanUp()
  return { results, postgres }
}

/**
 * Starts the service as `npm run serve` does, on the store, with the fake upstream as its provider, registers `users`
 * users through its API (each logged in and with an API key), and
 * hands `measure` each user's paths: the calls through the service as that user makes them, beside the direct calls
 * to the upstream. The service is stopped again before this returns.
 */
export async function withMeteredService<Result>(
  store: MeteredStore,
  run: MeteredRun,
  users: number,
  measure: (pathsByUser: OverheadPath[][]) => Promise<Result>
): Promise<Result> {
  const production = productionRuntime()
  const profiling = run.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', run.cpuProfileDir] : []
  const launch: ServerLaunch = {
    name: `service on ${store.database}`,
    script: 'dist/server.js',
    nodeArgs: [...production.nodeArgs, ...profiling],
    env: {
      ...run.serviceEnv,
      ...production.env,
      DATABASE_URL: store.databaseUrl,
      AI_PROVIDER: 'openai',
      AI_BASE_URL: store.upstreamUrl,
      AI_MODEL: FAKE_MODEL
    }
  }
  const { running } = run.resources
  const service = await startServer(launch)
  running.push(service)
  try {
    const systemPrompt = loadConfig(launch.env).ai.systemPrompt
    const userPaths = async (username: string) => {
      await register(service.url, username)
      const headers = await authHeaders(service.url, username)
      const { secret } = (await postJson(service.url, '/api/keys/', { name: username }, 201, headers)) as {
        secret: string
      }
      return overheadPaths({
        serviceUrl: service.url,
        upstreamUrl: store.upstreamUrl,
        model: FAKE_MODEL,
        systemPrompt,
        accessToken: headers.authorization!.slice('Bearer '.length),
        apiKey: secret
      })
    }
    const usernames = Array.from({ length: users }, (_, index) => `caller${index}`)
    return await measure(await Promise.all(usernames.map(userPaths)))
  } finally {
    running.splice(running.indexOf(service), 1)
    await service.stop()
  }
}
