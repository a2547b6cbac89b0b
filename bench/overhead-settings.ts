import { PATH_IDS, type PathId } from './overhead-paths.js'
import type { OverheadSettings } from './overhead-rounds.js'
import { count, idList, postgresServer } from './settings.js'

export interface OverheadRunSettings extends OverheadSettings {
  /** Path ids to measure; all when BENCH_ONLY is unset. */
  paths: PathId[]
  cpuProfileDir: string | undefined
  postgresServerUrl: string | undefined
  resultsFile: string
}

/** `npm run bench:overhead`'s knobs, from the environment. */
export function readOverheadSettings(env: NodeJS.ProcessEnv): OverheadRunSettings {
  const only = idList(env.BENCH_ONLY)
  const unknown = only.filter((id) => !(PATH_IDS as readonly string[]).includes(id))
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY names no such path: ${unknown.join(', ')} (known: ${PATH_IDS.join(', ')})`)
  }
  return {
    rounds: count(env, 'BENCH_ROUNDS', 10),
    requestsPerRound: count(env, 'BENCH_REQUESTS', 200),
    warmupRequests: count(env, 'BENCH_WARMUP_REQUESTS', 200, 0),
    paths: PATH_IDS.filter((id) => only.length === 0 || only.includes(id)),
    cpuProfileDir: env.BENCH_CPU_PROF || undefined,
    postgresServerUrl: postgresServer(env.BENCH_DATABASE_URL),
    resultsFile: env.BENCH_RESULTS || new URL('results.json', import.meta.url).pathname
  }
}
