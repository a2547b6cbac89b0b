import { PATH_IDS, type PathId } from './overhead-paths.js'
import type { OverheadSettings } from './overhead-rounds.js'
import { count, postgresServer, selectedPaths } from './settings.js'

export interface OverheadRunSettings extends OverheadSettings {
  /** Path ids to measure; all when BENCH_ONLY is unset. */
  paths: PathId[]
  cpuProfileDir: string | undefined
  postgresServerUrl: string | undefined
  resultsFile: string
}

/** `npm run bench:overhead`'s knobs, from the environment. */
export function readOverheadSettings(env: NodeJS.ProcessEnv): OverheadRunSettings {
  return {
    rounds: count(env, 'BENCH_ROUNDS', 10),
    requestsPerRound: count(env, 'BENCH_REQUESTS', 200),
    warmupRequests: count(env, 'BENCH_WARMUP_REQUESTS', 200, 0),
    paths: selectedPaths(env, PATH_IDS),
    cpuProfileDir: env.BENCH_CPU_PROF || undefined,
    postgresServerUrl: postgresServer(env.BENCH_DATABASE_URL),
    resultsFile: env.BENCH_RESULTS || new URL('results.json', import.meta.url).pathname
  }
}
