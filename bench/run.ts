import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config.js'
import { authHeaders, PASSWORD, register, seedHistories } from './fixtures.js'
import { productionRuntime } from './production-runtime.js'
import { formatTable, writeResults } from './report.js'
import { runScenario, type ScenarioResult, type Side } from './rounds.js'
import { scenarios } from './scenarios.js'
import { REPO_ROOT, startServer, type ServerProcess } from './servers.js'
import { readSettings } from './settings.js'
import { checkTargets, ratioToBaseline } from './targets.js'

const settings = readSettings(process.env)
const selected = (id: string) => settings.only.length === 0 || settings.only.includes(id)
const workDir = mkdtempSync(join(tmpdir(), 'ai-chat-bench-'))
const serviceEnv = {
  NODE_ENV: 'production',
  DATABASE_URL: join(workDir, 'bench.sqlite'),
  JWT_SECRET: randomBytes(32).toString('hex'),
  LOG_LEVEL: 'warn',
  // Issue 4's switch for rate limits: without it the limits, not the service, would be measured.
  RATE_LIMIT: 'off',
  // Every connection chats as the same user; the per-user cap on chats in flight would refuse most of them.
  AI_MAX_CONCURRENT_PER_USER: '1000',
  INITIAL_TOKENS: String(10 ** 15),
  // Access tokens must outlive the whole run.
  ACCESS_TOKEN_TTL: '1h'
}
const production = productionRuntime()
const traceGc = process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []
const owners = {
  small: { username: 'history-small', chats: settings.historySizes.small },
  large: { username: 'history-large', chats: selected('history-large') ? settings.historySizes.large : 0 }
}

const running: ServerProcess[] = []
async function stopServers() {
  await Promise.all(running.splice(0).map((server) => server.stop()))
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopServers().finally(() => {
      rmSync(workDir, { recursive: true, force: true })
      process.exit(130)
    })
  })
}

// Other work on the machine shows in the load average; it is reported so that a noisy run can be told apart.
const loadBefore = loadavg()[0]!
try {
  const seedStart = Date.now()
  await seedHistories(loadConfig(serviceEnv), [owners.small, owners.large])
  progress(`seeded ${owners.small.chats + owners.large.chats} chats in ${Date.now() - seedStart} ms`)

  if (settings.service === 'dist') {
    const buildStart = Date.now()
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
    progress(`built dist/ in ${Date.now() - buildStart} ms`)
  }
  const script = settings.service === 'dist' ? 'dist/server.js' : 'src/server.ts'
  const profiling = settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', settings.cpuProfileDir] : []
  const servers: Record<Side, ServerProcess> = {
    service: await startServer({
      name: 'service',
      script,
      env: { ...serviceEnv, ...production.env },
      nodeArgs: [...production.nodeArgs, ...traceGc, ...profiling]
    }),
    baseline: await startServer({ name: 'baseline', script: 'bench/baseline-server.ts', env: {} })
  }
  running.push(servers.service, servers.baseline)

  const url = servers.service.url
  await register(url, 'reader')
  const actors = {
    reader: await authHeaders(url, 'reader'),
    smallHistoryOwner: await authHeaders(url, owners.small.username),
    largeHistoryOwner: await authHeaders(url, owners.large.username),
    loginBody: JSON.stringify({ username: 'reader', password: PASSWORD })
  }

  const all = scenarios(settings, actors)
  const unknown = settings.only.filter((id) => !all.some((scenario) => scenario.id === id))
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY names no such scenario: ${unknown.join(', ')} (known: ${all.map((s) => s.id).join(', ')})`
    )
  }
  const results: ScenarioResult[] = []
  for (const scenario of all.filter((candidate) => selected(candidate.id))) {
    const result = await runScenario(scenario, servers, settings)
    results.push(result)
    const { requestsPerSecond, latencyMs } = result.service.median
    progress(
      `${scenario.id}: ${requestsPerSecond.toFixed(0)} req/s, p99 ${latencyMs.p99.toFixed(2)} ms, ` +
        `${ratioToBaseline(result).toFixed(2)} × baseline`
    )
  }
  await stopServers()

  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: { before: loadBefore, after: loadavg()[0]! }
  }
  const checks = checkTargets(results)
  console.log(
    `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${settings.rounds} rounds × ${settings.durationSeconds} s ` +
      `per side, load average ${machine.loadAverage.before.toFixed(1)} before and ${machine.loadAverage.after.toFixed(1)} after\n`
  )
  console.log(formatTable(results, checks))
  writeResults(settings, machine, results, checks)
  progress(`wrote ${settings.resultsFile}`)
} finally {
  await stopServers()
  rmSync(workDir, { recursive: true, force: true })
}

function progress(message: string) {
  process.stderr.write(`bench: ${message}\n`)
}
