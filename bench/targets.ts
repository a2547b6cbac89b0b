import type { ScenarioResult, StoreKind } from './rounds.js'
import { MINIMAL_SCENARIOS } from './scenarios.js'

export interface TargetCheck {
  scenario: string
  /** The store the checked results were measured on; unset for a check over all of them. */
  database?: StoreKind
  target: string
  actual: string
  met: boolean
}

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

  const peaks = results.flatMap((result) => (result.servicePeakRssBytes ? [result.servicePeakRssBytes] : []))
  if (peaks.length > 0) {
    const peakMb = Math.max(...peaks) / 2 ** 20
    checks.push({
      scenario: 'all',
      target: `peak RSS ≤ ${MAX_PEAK_RSS_MB} MB`,
      actual: `${peakMb.toFixed(0)} MB`,
      met: peakMb <= MAX_PEAK_RSS_MB
    })
  }
  for (const result of results) {
    const failures = [result.service, result.baseline, result.minimal].reduce(
      (sum, side) => sum + (side ? side.median.failures + (side.background?.failures ?? 0) : 0),
      0
    )
    if (failures > 0) {
      const { id: scenario, database } = result
      checks.push({ scenario, database, target: 'no failed requests', actual: `${failures}`, met: false })
    }
  }
  return checks
}

/** Checks of the results measured on one store; each records nothing when its scenario was not run. */
function targetsOn(database: StoreKind, results: ScenarioResult[]) {
  const byId = new Map(results.filter((result) => result.database === database).map((result) => [result.id, result]))
  const checks: TargetCheck[] = []
  const check = (scenario: string, measure: (result: ScenarioResult) => Omit<TargetCheck, 'scenario' | 'database'>) => {
    const result = byId.get(scenario)
    if (result) checks.push({ scenario, database, ...measure(result) })
  }
  return {
    checks,
    minimumRatio: (id: string, minimum: number) =>
      check(id, (result) => {
        const actual = ratioToBaseline(result)
        return { target: `≥ ${minimum} × baseline`, actual: `${actual.toFixed(2)} ×`, met: actual >= minimum }
      }),
    minimumMinimalRatio: (id: string, minimum: number) =>
      check(id, (result) => {
        const actual = ratioToMinimal(result)
        const target = `≥ ${minimum.toFixed(1)} × minimal`
        if (actual === undefined) return { target, actual: 'minimal server not measured', met: false }
        return { target, actual: `${actual.toFixed(2)} ×`, met: actual >= minimum }
      }),
    minimumRate: (id: string, minimum: number) =>
      check(id, ({ service }) => {
        const actual = service.median.requestsPerSecond
        return {
          target: `≥ ${minimum.toLocaleString('en-US')} req/s`,
          actual: `${actual.toFixed(0)} req/s`,
          met: actual >= minimum
        }
      }),
    maximumP99: (id: string, maximumMs: number) =>
      check(id, ({ service }) => {
        const actual = service.median.latencyMs.p99
        return { target: `p99 ≤ ${maximumMs} ms`, actual: `${actual.toFixed(2)} ms`, met: actual <= maximumMs }
      }),
    historyGrowth: (maximum: number) => {
      const small = byId.get('history-small')
      if (!small) return
      check('history-large', (large) => {
        const growth = large.service.median.latencyMs.mean / small.service.median.latencyMs.mean
        return {
          target: `mean latency ≤ ${maximum} × small history`,
          actual: `${growth.toFixed(2)} ×`,
          met: growth <= maximum
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
