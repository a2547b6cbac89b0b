import { loadConfig } from '../src/config.js'
import { authHeaders, PASSWORD, register, seedHistories } from './fixtures.js'
import { progress } from './progress.js'
import { runScenario, type ScenarioResult, type StoreKind } from './rounds.js'
import { MINIMAL_SCENARIOS, scenarios } from './scenarios.js'
import { startServer, type ServerLaunch, type ServerProcess } from './servers.js'
import type { Settings } from './settings.js'
import { ratioToBaseline, ratioToMinimal } from './targets.js'

export interface StoreRun {
  database: StoreKind
  /** The service's DATABASE_URL: a SQLite file, or a PostgreSQL database of the run's own. */
  databaseUrl: string
  /** Which of the scenarios to measure on this store. */
  selected: (scenarioId: string) => boolean
}

export interface RunContext {
  settings: Settings
  baseline: ServerProcess
  /** How the service is started; its DATABASE_URL comes from the store run. */
  service: Omit<ServerLaunch, 'name'>
  /** How the minimal server is started; its DATABASE_URL, the service's, comes from the store run. */
  minimal: Omit<ServerLaunch, 'name'>
  /** Servers that are up, for the signal handler to stop. */
  running: ServerProcess[]
}

/**
 * Seeds the history owners into the store's empty database, starts the service on it (and the minimal server on the
 * same database), and measures each selected scenario against it and the baselines; the servers are
 * stopped again before this returns.
 */
export async function measureOnStore(run: StoreRun, context: RunContext): Promise<ScenarioResult[]> {
  const { settings, baseline, running } = context
  const env = { ...context.service.env, DATABASE_URL: run.databaseUrl }
  const owners = {
    small: { username: 'history-small', chats: settings.historySizes.small },
    large: { username: 'history-large', chats: run.selected('history-large') ? settings.historySizes.large : 0 }
  }
  const seedStart = Date.now()
  await seedHistories(loadConfig(env), [owners.small, owners.large])
  progress(`${run.database}: seeded ${owners.small.chats + owners.large.chats} chats in ${Date.now() - seedStart} ms`)

  const service = await startServer({ ...context.service, name: `service on ${run.database}`, env })
  running.push(service)
  progress(`${run.database}: service started (pid ${service.pid})`)
  let minimal: ServerProcess | undefined
  try {
    if (MINIMAL_SCENARIOS.some(run.selected)) {
      minimal = await startServer({ ...context.minimal, name: 'minimal', env: { ...context.minimal.env, ...env } })
      running.push(minimal)
      progress(`${run.database}: minimal server started (pid ${minimal.pid})`)
    }
    const url = service.url
    await register(url, 'reader')
    const chatterNames = Array.from({ length: settings.connections }, (_, index) => `chatter${index}`)
    for (const name of chatterNames) await register(url, name)
    const actors = {
      chatters: await Promise.all(chatterNames.map((name) => authHeaders(url, name))),
      reader: await authHeaders(url, 'reader'),
      smallHistoryOwner: await authHeaders(url, owners.small.username),
      largeHistoryOwner: await authHeaders(url, owners.large.username),
      loginBody: JSON.stringify({ username: 'reader', password: PASSWORD })
    }
    const results: ScenarioResult[] = []
    for (const scenario of scenarios(settings, actors).filter((candidate) => run.selected(candidate.id))) {
      const yardsticks = { service, baseline, ...(MINIMAL_SCENARIOS.includes(scenario.id) && minimal && { minimal }) }
      const result = { database: run.database, ...(await runScenario(scenario, yardsticks, settings)) }
      results.push(result)
      const { requestsPerSecond, latencyMs } = result.service.median
      const toMinimal = ratioToMinimal(result)
      progress(
        `${run.database}: ${scenario.id}: ${requestsPerSecond.toFixed(0)} req/s, p99 ${latencyMs.p99.toFixed(2)} ms, ` +
          `${ratioToBaseline(result).toFixed(2)} × baseline` +
          (toMinimal === undefined ? '' : `, ${toMinimal.toFixed(2)} × minimal`)
      )
    }
    return results
  } finally {
    for (const server of minimal ? [minimal, service] : [service]) {
      running.splice(running.indexOf(server), 1)
      await server.stop()
    }
  }
}
