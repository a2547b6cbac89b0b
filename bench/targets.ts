import type { ScenarioResult, StoreKind } from './rounds.js'
import { MINIMAL_SCENARIOS } from './scenarios.js'

export interface TargetCheck {
  scenario: string
  /** The store the checked results were measured on; unset for a check over all of them. */
  database?: StoreKind
  target: string
  actual: string
  met: boolean
  /** For a miss, what the run's numbers say about it, and where bench/NOTES.md has the profile. */
  reason?: string
}

type Measured = Omit<TargetCheck, 'scenario' | 'database' | 'reason'> & { why: string }

const MAX_PEAK_RSS_MB = 200

/**
 * The targets of one run's medians: issue 6's on SQLite, issue 12's on PostgreSQL, issue 16's on both (on two cores
 * with the database on the same machine). Scenarios left out of the run are skipped.
 */
export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const sqlite = targetsOn('sqlite', results)
  sqlite.minimumRatio('balance', 0.6)
  sqlite.minimumRatio('chat', 0.4)
  sqlite.minimumRatio('history-large', 0.5)
  sqlite.historyGrowth(1.2)
  sqlite.maximumP99('balance-fixed-rate', 5)
  sqlite.maximumP99('chat-fixed-rate', 5)
  sqlite.maximumP99('balance-during-logins', 25)
  const postgres = targetsOn('postgres', results)
  postgres.minimumRate('chat', 2000)
  postgres.maximumP99('chat', 10)
  // The same target for chats from as many users as connections: one user's chats wait for each other's commits.
  postgres.minimumRate('chat-users', 2000)
  postgres.maximumP99('chat-users', 10)
  postgres.minimumRate('balance', 5000)
  postgres.maximumP99('balance', 10)
  // Issue 16: the service's features cost nothing measurable at saturation, beside the same work done minimally.
  for (const store of [sqlite, postgres]) MINIMAL_SCENARIOS.forEach((id) => store.minimumMinimalRatio(id, 1))
  const checks = [...sqlite.checks, ...postgres.checks]

  const highest = results
    .filter((result) => result.servicePeakRssBytes)
    .sort((a, b) => b.servicePeakRssBytes! - a.servicePeakRssBytes!)[0]
  if (highest) {
    const peakMb = highest.servicePeakRssBytes! / 2 ** 20
    const met = peakMb <= MAX_PEAK_RSS_MB
    checks.push({
      scenario: 'all',
      target: `peak RSS ≤ ${MAX_PEAK_RSS_MB} MB`,
      actual: `${peakMb.toFixed(0)} MB`,
      met,
      ...(met ? {} : { reason: `the peak was reached in ${highest.title} on ${highest.database}` })
    })
  }
  for (const result of results) {
    const failures = [result.service, result.baseline, result.minimal].reduce(
      (sum, side) => sum + (side ? side.median.failures + (side.background?.failures ?? 0) : 0),
      0
    )
    if (failures > 0) {
      const { id: scenario, database } = result
      const reason = 'answers outside 2xx, connection errors or calls left unanswered, per side in results.json'
      checks.push({ scenario, database, target: 'no failed requests', actual: `${failures}`, met: false, reason })
    }
  }
  return checks
}

/** Checks of the results measured on one store; each records nothing when its scenario was not run. */
function targetsOn(database: StoreKind, results: ScenarioResult[]) {
  const byId = new Map(results.filter((result) => result.database === database).map((result) => [result.id, result]))
  const checks: TargetCheck[] = []
  const check = (scenario: string, measure: (result: ScenarioResult) => Measured) => {
    const result = byId.get(scenario)
    if (!result) return
    const { why, ...measured } = measure(result)
    checks.push({ scenario, database, ...measured, ...(measured.met ? {} : { reason: why }) })
  }
  const rate = (side: { median: { requestsPerSecond: number } }) => `${side.median.requestsPerSecond.toFixed(0)} req/s`
  return {
    checks,
    minimumRatio: (id: string, minimum: number) =>
      check(id, (result) => {
        const actual = ratioToBaseline(result)
        return {
          target: `≥ ${minimum} × baseline`,
          actual: `${actual.toFixed(2)} ×`,
          met: actual >= minimum,
          why:
            `bare Fastify answered ${rate(result.baseline)} without a database; the service's ${rate(result.service)} ` +
            'include the store\'s work on every request (NOTES, "Why the throughput ratios stay out of reach")'
        }
      }),
    minimumMinimalRatio: (id: string, minimum: number) =>
      check(id, (result) => {
        const actual = ratioToMinimal(result)
        const target = `≥ ${minimum.toFixed(1)} × minimal`
        if (actual === undefined) {
          return { target, actual: 'minimal server not measured', met: false, why: 'the minimal server did not run' }
        }
        return {
          target,
          actual: `${actual.toFixed(2)} ×`,
          met: actual >= minimum,
          why:
            `the minimal server did the same database work at ${rate(result.minimal!)} against the service's ` +
            `${rate(result.service)}: ${((1 - actual) * 100).toFixed(0)} % of it is what the service does beyond ` +
            'it (NOTES, "The minimal server")'
        }
      }),
    minimumRate: (id: string, minimum: number) =>
      check(id, ({ service }) => {
        const actual = service.median.requestsPerSecond
        return {
          target: `≥ ${minimum.toLocaleString('en-US')} req/s`,
          actual: `${actual.toFixed(0)} req/s`,
          met: actual >= minimum,
          why:
            `at p99 ${service.median.latencyMs.p99.toFixed(2)} ms, with the database server on the same two cores ` +
            '(NOTES, "PostgreSQL (issue 12)")'
        }
      }),
    maximumP99: (id: string, maximumMs: number) =>
      check(id, ({ service }) => {
        const actual = service.median.latencyMs.p99
        return {
          target: `p99 ≤ ${maximumMs} ms`,
          actual: `${actual.toFixed(2)} ms`,
          met: actual <= maximumMs,
          why:
            `p99 ${actual.toFixed(2)} ms at a p50 of ${service.median.latencyMs.p50.toFixed(2)} ms and ` +
            `${rate(service)} (NOTES, ${database === 'sqlite' ? '"Chat p99 at 2,000 req/s"' : '"PostgreSQL (issue 12)"'})`
        }
      }),
    historyGrowth: (maximum: number) => {
      const small = byId.get('history-small')
      if (!small) return
      check('history-large', (large) => {
        const growth = large.service.median.latencyMs.mean / small.service.median.latencyMs.mean
        return {
          target: `mean latency ≤ ${maximum} × small history`,
          actual: `${growth.toFixed(2)} ×`,
          met: growth <= maximum,
          why:
            `mean ${large.service.median.latencyMs.mean.toFixed(2)} ms with the large history against ` +
            `${small.service.median.latencyMs.mean.toFixed(2)} ms with the small one`
        }
      })
    }
  }
}

export function ratioToBaseline(result: ScenarioResult): number {
  return result.service.median.requestsPerSecond / result.baseline.median.requestsPerSecond
}

/** Service req/s over the minimal server's, for a scenario measured against it. */
export function ratioToMinimal(result: ScenarioResult): number | undefined {
  return result.minimal && result.service.median.requestsPerSecond / result.minimal.median.requestsPerSecond
}
