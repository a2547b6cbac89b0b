import autocannon from 'autocannon'
import { randomBytes } from 'node:crypto'
import { availableParallelism, loadavg } from 'node:os'
import pg from 'pg'
import { createPostgresDatabase } from '../test/postgres-test-database.js'
import { authHeaders, PASSWORD, postJson, register } from './fixtures.js'
import { measure, type Load, type Measurement } from './load.js'
import { SESSION_CHANGE_TRIGGERS } from './notified-session-cache.js'
import { productionRuntime } from './production-runtime.js'
import { median } from './rounds.js'
import { startServer, type ServerProcess } from './servers.js'

/**
 * The session check on PostgreSQL, read on every request or cached and invalidated by LISTEN/NOTIFY: the balance read
 * at 10 connections against each (alternating rounds, medians), then the race that decides whether the cache may be
 * used at all: log out on instance A and, as soon as A has answered, present the access token to instance B; every
 * 200 is a revoked token accepted. The probe runs with B idle and with B under load. `npm run bench:sessions`;
 * BENCH_DATABASE_URL (default the local server), BENCH_ROUNDS, BENCH_DURATION and BENCH_PROBE_ROUNDS.
 */
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const rounds = Number(process.env.BENCH_ROUNDS ?? 6)
const seconds = Number(process.env.BENCH_DURATION ?? 5)
const probeRounds = Number(process.env.BENCH_PROBE_ROUNDS ?? 1000)
const CONNECTIONS = 10
const LOOKUPS = ['read', 'cache'] as const
type Lookup = (typeof LOOKUPS)[number]

const { url, drop } = await createPostgresDatabase(serverUrl)
const production = productionRuntime()
const env = {
  ...production.env,
  NODE_ENV: 'production',
  DATABASE_URL: url,
  JWT_SECRET: randomBytes(32).toString('hex'),
  LOG_LEVEL: 'warn',
  RATE_LIMIT: 'off',
  ACCESS_TOKEN_TTL: '1h',
  // The probe logs in a few thousand times; hashing is not what is measured.
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1'
}
const servers: ServerProcess[] = []
async function start(lookup: Lookup, name: string) {
  const script = 'bench/session-lookup-server.ts'
  const server = await startServer({
    name,
    script,
    env: { ...env, SESSION_LOOKUP: lookup },
    nodeArgs: production.nodeArgs
  })
  servers.push(server)
  return server.url
}

try {
  // The first instance migrates; the triggers then go onto its tables before any cache listens.
  const readA = await start('read', 'read-A')
  await onDatabase(url, SESSION_CHANGE_TRIGGERS)
  const pairs: Record<Lookup, [string, string]> = {
    read: [readA, await start('read', 'read-B')],
    cache: [await start('cache', 'cache-A'), await start('cache', 'cache-B')]
  }
  await register(readA, 'reader')
  await register(readA, 'prober')
  const balanceLoad: Load = {
    method: 'GET',
    path: '/api/tokenbalance/',
    headers: await authHeaders(readA, 'reader'),
    connections: CONNECTIONS
  }

  const measured: Record<Lookup, Measurement[]> = { read: [], cache: [] }
  for (const lookup of LOOKUPS) await measure(pairs[lookup][0], balanceLoad, 1)
  for (let round = 0; round < rounds; round++) {
    for (const lookup of round % 2 === 0 ? LOOKUPS : [...LOOKUPS].reverse()) {
      measured[lookup].push(await measure(pairs[lookup][0], balanceLoad, seconds))
    }
  }
  const accepted: Record<Lookup, { idle: number; loaded: number }> = {
    read: { idle: 0, loaded: 0 },
    cache: { idle: 0, loaded: 0 }
  }
  for (const lookup of LOOKUPS) {
    const [a, b] = pairs[lookup]
    accepted[lookup] = { idle: await probeRace(a, b), loaded: await probeRace(a, b, balanceLoad) }
  }

  console.log(
    `${availableParallelism()} CPUs, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}; GET ` +
      `/api/tokenbalance/ at ${CONNECTIONS} connections, ${rounds} rounds of ${seconds} s; ${probeRounds} probe rounds\n`
  )
  console.log('| session check | req/s (median) | p99 ms (median) | p99 per round | failures |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const lookup of LOOKUPS) {
    const all = measured[lookup]
    const p99s = all.map(({ latencyMs }) => latencyMs.p99)
    const failures = all.reduce((sum, { failures }) => sum + failures, 0)
    const rate = Math.round(median(all.map(({ requestsPerSecond }) => requestsPerSecond)))
    console.log(
      `| ${lookup} | ${rate} | ${median(p99s).toFixed(2)} | ${p99s.map((p) => p.toFixed(2)).join(', ')} | ${failures} |`
    )
  }
  console.log('\n| session check | revoked tokens accepted by B, B idle | B under load |\n| --- | --- | --- |')
  for (const lookup of LOOKUPS) {
    console.log(
      `| ${lookup} | ${accepted[lookup].idle} of ${probeRounds} | ${accepted[lookup].loaded} of ${probeRounds} |`
    )
  }
} finally {
  for (const server of servers) await server.stop()
  await drop()
}

/**
 * `probeRounds` fresh sessions, each accepted by B, logged out on A, and presented to B the moment A has answered;
 * returns how many B still accepted. With `background`, B serves that load meanwhile.
 */
async function probeRace(a: string, b: string, background?: Load): Promise<number> {
  const loading = background && startLoad(b, background)
  let acceptedAfterLogout = 0
  try {
    for (let round = 0; round < probeRounds; round++) {
      const { access, refresh } = (await postJson(
        a,
        '/api/login/',
        { username: 'prober', password: PASSWORD },
        200
      )) as {
        access: string
        refresh: string
      }
      const headers = { authorization: `Bearer ${access}` }
      if ((await balanceStatus(b, headers)) !== 200) throw new Error('B refused a live session')
      await postJson(a, '/api/logout/', { refresh }, 200, headers)
      if ((await balanceStatus(b, headers)) === 200) acceptedAfterLogout++
    }
  } finally {
    await loading?.stop()
  }
  return acceptedAfterLogout
}

/** `load` against `baseUrl` until `stop()`, which resolves once autocannon has closed its connections. */
function startLoad(baseUrl: string, load: Load) {
  const instance = autocannon({ ...load, url: baseUrl + load.path, duration: 3600 }, () => {})
  const finished = new Promise((resolve) => instance.once('done', resolve))
  return {
    stop: () => {
      instance.stop()
      return finished
    }
  }
}

async function balanceStatus(baseUrl: string, headers: Record<string, string>) {
  const response = await fetch(`${baseUrl}/api/tokenbalance/`, { headers })
  await response.arrayBuffer()
  return response.status
}

async function onDatabase(databaseUrl: string, statements: string) {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(statements)
  } finally {
    await client.end()
  }
}
