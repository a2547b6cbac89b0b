import autocannon from 'autocannon'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { authHeaders, PASSWORD, register } from './fixtures.js'
import { measure, type Load, type Measurement } from './load.js'
import { buildService, productionRuntime } from './production-runtime.js'
import { startServer, type ServerProcess } from './servers.js'

/**
 * One account floods the service with 200 concurrent password changes and logins, each a hash to check, while another
 * user logs in one request after another; reports that user's login latency with and without the flood, and how the
 * flood was answered. Rate limits are off, so that only the hash queue's per-account cap stands between the flood and
 * everyone else. `npm run bench:password-flood`; BENCH_DURATION sets the seconds measured (default 10), and the
 * queue's own variables (ARGON2_QUEUE_SIZE, ARGON2_QUEUE_WAIT, ARGON2_PER_ACCOUNT) are passed on to the service, to
 * compare with other bounds.
 */
const seconds = Number(process.env.BENCH_DURATION ?? 10)
const FLOOD_CONNECTIONS = 100
const WARMUP_SECONDS = 1
const QUEUE_VARIABLES = ['ARGON2_QUEUE_SIZE', 'ARGON2_QUEUE_WAIT', 'ARGON2_PER_ACCOUNT']
const queueEnv = Object.fromEntries(
  QUEUE_VARIABLES.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : []))
)

const workDir = mkdtempSync(join(tmpdir(), 'ai-chat-flood-'))
const production = productionRuntime()
let server: ServerProcess | undefined
try {
  buildService()
  server = await startServer({
    name: 'service',
    script: 'dist/server.js',
    env: {
      ...production.env,
      NODE_ENV: 'production',
      DATABASE_URL: join(workDir, 'flood.sqlite'),
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      RATE_LIMIT: 'off',
      ACCESS_TOKEN_TTL: '1h',
      ...queueEnv
    },
    nodeArgs: production.nodeArgs
  })
  const url = server.url
  await register(url, 'flooder')
  await register(url, 'victim')
  const flooder = await authHeaders(url, 'flooder')
  const victimLogin: Load = {
    method: 'POST',
    path: '/api/login/',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'victim', password: PASSWORD }),
    connections: 1
  }

  const quiet = await measure(url, victimLogin, seconds)
  const floodStatuses = new Map<number, number>()
  const flood = Promise.all([
    floodWith(url, '/api/login/', {}, { username: 'flooder', password: PASSWORD }, floodStatuses),
    floodWith(
      url,
      '/api/password/',
      flooder,
      { old_password: 'not the password', new_password: PASSWORD },
      floodStatuses
    )
  ])
  await sleep(WARMUP_SECONDS * 1000)
  const flooded = await measure(url, victimLogin, seconds)
  await flood

  console.log(
    `${availableParallelism()} CPUs, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}; ` +
      `${seconds} s per measurement; ${JSON.stringify(queueEnv)}\n`
  )
  console.log(
    '| victim logins | requests | failures | p50 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- |'
  )
  console.log(row('alone', quiet))
  console.log(row(`during the flood (${2 * FLOOD_CONNECTIONS} connections)`, flooded))
  const statuses = [...floodStatuses].sort(([a], [b]) => a - b).map(([status, count]) => `${count} × ${status}`)
  console.log(`\nflood answers: ${statuses.join(', ')}`)
} finally {
  await server?.stop()
  rmSync(workDir, { recursive: true, force: true })
}

function row(name: string, { requests, failures, latencyMs }: Measurement): string {
  const ms = (value: number) => value.toFixed(1)
  return `| ${name} | ${requests} | ${failures} | ${ms(latencyMs.p50)} | ${ms(latencyMs.p99)} | ${ms(latencyMs.max)} |`
}

/** One half of the flood: `FLOOD_CONNECTIONS` connections sending the same request flat out; counts the answers. */
function floodWith(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  statuses: Map<number, number>
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl + path,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        connections: FLOOD_CONNECTIONS,
        duration: seconds + 2 * WARMUP_SECONDS
      },
      (error, result) => (error ? reject(error) : resolve(result))
    )
    instance.on('response', (_client, status) => statuses.set(status, (statuses.get(status) ?? 0) + 1))
  })
}
