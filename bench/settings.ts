/** How long and how hard the benchmark runs; every knob can be overridden from the environment. */
export interface Settings {
  rounds: number
  durationSeconds: number
  warmupSeconds: number
  connections: number
  fixedRate: number
  loginClients: number
  historySizes: { small: number; large: number }
  /** `dist`: build with `npm run build` and run `node dist/server.js`, as in production; `tsx`: run `src/server.ts`. */
  service: 'dist' | 'tsx'
  /** Scenario ids to run; empty means all. */
  only: string[]
  /** When set, the service runs with `--cpu-prof` and writes its profile here on shutdown. */
  cpuProfileDir: string | undefined
  /**
   * A PostgreSQL server (`postgres://…`) on which the run creates a database of its own, to measure the service on
   * PostgreSQL as well; unset, only SQLite is measured.
   */
  postgresServerUrl: string | undefined
  resultsFile: string
}

export function readSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    rounds: count(env, 'BENCH_ROUNDS', 3),
    durationSeconds: count(env, 'BENCH_DURATION', 4),
    warmupSeconds: count(env, 'BENCH_WARMUP', 1, 0),
    connections: count(env, 'BENCH_CONNECTIONS', 10),
    fixedRate: count(env, 'BENCH_RATE', 2000),
    loginClients: count(env, 'BENCH_LOGIN_CLIENTS', 32),
    historySizes: {
      small: count(env, 'BENCH_HISTORY_SMALL', 1000),
      large: count(env, 'BENCH_HISTORY_LARGE', 1_000_000)
    },
    service: serviceEntry(env.BENCH_SERVICE),
    only: idList(env.BENCH_ONLY),
    cpuProfileDir: env.BENCH_CPU_PROF || undefined,
    postgresServerUrl: postgresServer(env.BENCH_DATABASE_URL),
    resultsFile: env.BENCH_RESULTS || new URL('results.json', import.meta.url).pathname
  }
}

/** A whole number ≥ `minimum` from the environment variable `name`, or `fallback` when it is unset. */
export function count(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum = 1): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < minimum)
    throw new Error(`${name}=${text}: expected a whole number ≥ ${minimum}`)
  return value
}

function serviceEntry(text: string | undefined): Settings['service'] {
  if (text === undefined || text === '' || text === 'dist') return 'dist'
  if (text === 'tsx') return 'tsx'
  throw new Error(`BENCH_SERVICE=${text}: expected dist or tsx`)
}

/** The PostgreSQL server of BENCH_DATABASE_URL, checked to be one. */
export function postgresServer(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined
  if (!/^postgres(ql)?:\/\//i.test(text)) throw new Error('BENCH_DATABASE_URL: expected a postgres:// URL')
  return text
}

/** The ids of a comma-separated list such as BENCH_ONLY; empty when unset. */
export function idList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean)
}

/** The ids of `known` that BENCH_ONLY selects, all when it is unset; an id it names that is not known stops the run. */
export function selectedPaths<Id extends string>(env: NodeJS.ProcessEnv, known: readonly Id[]): Id[] {
  const only = idList(env.BENCH_ONLY)
  const unknown = only.filter((id) => !(known as readonly string[]).includes(id))
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY names no such path: ${unknown.join(', ')} (known: ${known.join(', ')})`)
  }
  return known.filter((id) => only.length === 0 || only.includes(id))
}
