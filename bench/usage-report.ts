import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createStore } from '../src/db/create-store.js'
import type { DatabaseConfig } from '../src/db/database-config.js'
import { DAY_MS } from '../src/db/storage-rules.js'
import type { Store, UsageGrouping, UsageQuery } from '../src/db/store.js'
import { createPostgresDatabase } from '../test/postgres-test-database.js'
import { progress } from './progress.js'
import { median } from './rounds.js'
import { generateRollup, seedRollup } from './usage-rollup.js'

/**
 * The usage reports over a month of a million chats (10,000 users, three models; see usage-rollup.ts), each query
 * through the store in a tight loop, one call at a time: p50 and p99 against the 100 ms target. SQLite always, and
 * PostgreSQL on a database of its own when BENCH_DATABASE_URL names a server. `npm run bench:usage`; BENCH_SECONDS
 * (per query, default 3).
 */
const TARGET_MS = 100
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const MAX_CALLS = 500
/** The largest page the API serves, and the one more row it asks for to know whether another page follows. */
const PAGE_ROWS = 101
const USERS = 10_000
const HISTORY_MONTHS = 5

const firstDay = Date.UTC(2026, 10, 1) / DAY_MS
const { rows, byRank } = generateRollup({ users: USERS, chatsPerMonth: 1_000_000, firstDay, days: 30 })
const month = { fromDay: firstDay, toDay: firstDay + 29 }
progress(
  `the month has ${rows.length} rollup rows from ${rows.reduce((sum, row) => sum + row.requests, 0)} chats; ` +
    `the table holds ${HISTORY_MONTHS} months before it as well`
)

interface Report {
  name: string
  /** The query of the call numbered `call`. */
  query: (call: number) => UsageQuery<UsageGrouping>
}

const busiest = byRank[0]!
const medianUser = byRank[USERS / 2]!
const of = <Grouping extends UsageGrouping>(groupBy: Grouping, fields: Partial<UsageQuery<Grouping>> = {}) => ({
  groupBy,
  userId: undefined,
  ...month,
  after: undefined,
  limit: PAGE_ROWS,
  ...fields
})
const REPORTS: Report[] = [
  { name: 'caller by day, the busiest user', query: () => of('day', { userId: busiest }) },
  { name: 'caller by day, the median user', query: () => of('day', { userId: medianUser }) },
  { name: 'caller by model, the busiest user', query: () => of('model', { userId: busiest }) },
  { name: 'admin by user, first page', query: () => of('user') },
  // Pages further on, after a different user each call.
  { name: 'admin by user, a later page', query: (call) => of('user', { after: (call * 997) % USERS }) },
  { name: 'admin by model', query: () => of('model') },
  { name: 'admin by day', query: () => of('day') }
]

interface Result {
  database: string
  report: string
  calls: number
  groups: number
  p50: number
  p99: number
}

async function measureReport(database: string, store: Store, report: Report): Promise<Result> {
  for (let call = 0; call < 3; call++) await store.listUsage(report.query(call))
  const latencies: number[] = []
  let groups = 0
  const end = performance.now() + seconds * 1000
  for (let call = 0; call < MAX_CALLS && performance.now() < end; call++) {
    const start = performance.now()
    groups = (await store.listUsage(report.query(call))).length
    latencies.push(performance.now() - start)
  }
  latencies.sort((a, b) => a - b)
  const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)]!
  return { database, report: report.name, calls: latencies.length, groups, p50: median(latencies), p99 }
}

async function measureOn(name: string, database: DatabaseConfig): Promise<Result[]> {
  const migrating = await createStore(database)
  await migrating.checkReadiness()
  await migrating.close()
  const seedStart = performance.now()
  await seedRollup(database, { users: USERS, rows, firstDay, historyMonths: HISTORY_MONTHS })
  progress(`${name}: seeded in ${Math.round(performance.now() - seedStart)} ms`)
  const store = await createStore(database)
  try {
    const results: Result[] = []
    for (const report of REPORTS) {
      const result = await measureReport(name, store, report)
      progress(`${name}: ${report.name}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`)
      results.push(result)
    }
    return results
  } finally {
    await store.close()
  }
}

const load = () =>
  loadavg()
    .map((average) => average.toFixed(2))
    .join(', ')
progress(`load average ${load()}`)
const results: Result[] = []
const directory = mkdtempSync(join(tmpdir(), 'usage-bench-'))
try {
  const path = join(directory, 'usage.sqlite')
  results.push(...(await measureOn('sqlite', { kind: 'sqlite', path, synchronous: 'normal' })))
} finally {
  rmSync(directory, { recursive: true, force: true })
}
const serverUrl = process.env.BENCH_DATABASE_URL
if (serverUrl) {
  const { url, drop } = await createPostgresDatabase(serverUrl, 'bench_usage')
  try {
    results.push(...(await measureOn('postgres', { kind: 'postgres', url, poolSize: 4 })))
  } finally {
    await drop()
  }
} else {
  progress('PostgreSQL skipped (set BENCH_DATABASE_URL)')
}

progress(`load average ${load()}`)
console.log(`| store | report | groups | calls | p50 ms | p99 ms | ${TARGET_MS} ms |`)
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const { database, report, calls, groups, p50, p99 } of results) {
  const verdict = p99 < TARGET_MS ? 'met' : 'missed'
  console.log(`| ${database} | ${report} | ${groups} | ${calls} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${verdict} |`)
}
