import { count, idList, postgresServer, selectedPaths } from './settings.js'

/** The paths measured under load: those timed to their whole answer, which the open loop times. */
export const LOAD_PATH_IDS = ['chat', 'v1'] as const
export type LoadPathId = (typeof LOAD_PATH_IDS)[number]

export interface UnderLoadSettings {
  /** Requests per second to step through, lowest first. */
  rates: number[]
  rounds: number
  durationSeconds: number
  warmupSeconds: number
  /** How long the fake upstream takes to answer. */
  answerDelayMs: number
  /** Users the calls through the service go round, one a call. */
  users: number
  paths: LoadPathId[]
  cpuProfileDir: string | undefined
  postgresServerUrl: string | undefined
  resultsFile: string
}

/** `npm run bench:load`'s knobs, from the environment. */
export function readUnderLoadSettings(env: NodeJS.ProcessEnv): UnderLoadSettings {
  return {
    rates: rateList(env.BENCH_RATES ?? '250,500,1000,1500,2000'),
    rounds: count(env, 'BENCH_ROUNDS', 3),
    durationSeconds: count(env, 'BENCH_DURATION', 2),
    warmupSeconds: count(env, 'BENCH_WARMUP', 2, 0),
    answerDelayMs: count(env, 'BENCH_ANSWER_DELAY_MS', 50, 0),
    users: count(env, 'BENCH_USERS', 20),
    paths: selectedPaths(env, LOAD_PATH_IDS),
    cpuProfileDir: env.BENCH_CPU_PROF || undefined,
    postgresServerUrl: postgresServer(env.BENCH_DATABASE_URL),
    resultsFile: env.BENCH_RESULTS || new URL('results.json', import.meta.url).pathname
  }
}

function rateList(text: string): number[] {
  const rates = idList(text)
    .map(Number)
    .sort((a, b) => a - b)
  if (rates.length === 0 || rates.some((rate) => !Number.isInteger(rate) || rate < 1)) {
    throw new Error(`BENCH_RATES=${text}: expected whole numbers ≥ 1, comma-separated`)
  }
  return rates
}
