import type { ScenarioResult } from './rounds.js'

export interface TargetCheck {
  scenario: string
  target: string
  actual: string
  met: boolean
}

const MAX_PEAK_RSS_MB = 200

/** The targets of issue 6, checked against the medians of one run. Scenarios left out of the run are skipped. */
export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const byId = new Map(results.map((result) => [result.id, result]))
  const checks: TargetCheck[] = []
  const minimumRatio = (id: string, minimum: number) => {
    const result = byId.get(id)
    if (!result) return
    const actual = ratioToBaseline(result)
    checks.push({
      scenario: id,
      target: `≥ ${minimum} × baseline`,
      actual: `${actual.toFixed(2)} ×`,
      met: actual >= minimum
    })
  }
  const maximumP99 = (id: string, maximumMs: number) => {
    const result = byId.get(id)
    if (!result) return
    const actual = result.service.median.latencyMs.p99
    checks.push({
      scenario: id,
      target: `p99 ≤ ${maximumMs} ms`,
      actual: `${actual.toFixed(2)} ms`,
      met: actual <= maximumMs
    })
  }

  minimumRatio('balance', 0.6)
  minimumRatio('chat', 0.4)
  minimumRatio('history-large', 0.5)
  const small = byId.get('history-small')
  const large = byId.get('history-large')
  if (small && large) {
    const growth = large.service.median.latencyMs.mean / small.service.median.latencyMs.mean
    checks.push({
      scenario: 'history-large',
      target: 'mean latency ≤ 1.2 × small history',
      actual: `${growth.toFixed(2)} ×`,
      met: growth <= 1.2
    })
  }
  maximumP99('balance-fixed-rate', 5)
  maximumP99('chat-fixed-rate', 5)
  maximumP99('balance-during-logins', 25)

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
    const failures = [result.service, result.baseline].reduce(
      (sum, side) => sum + side.median.failures + (side.background?.failures ?? 0),
      0
    )
    if (failures > 0)
      checks.push({ scenario: result.id, target: 'no failed requests', actual: `${failures}`, met: false })
  }
  return checks
}

export function ratioToBaseline(result: ScenarioResult): number {
  return result.service.median.requestsPerSecond / result.baseline.median.requestsPerSecond
}
