import type { Machine } from './machine.js'
import { markdownTable } from './markdown-table.js'
import { updateResults } from './results-file.js'
import type { ScenarioResult, StoreKind } from './rounds.js'
import type { Settings } from './settings.js'
import { ratioToBaseline, ratioToMinimal, type TargetCheck } from './targets.js'

export const STORE_NAMES: Record<StoreKind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' }

/**
 * The results table, in Markdown so that it can be pasted into the README as it is. A scenario measured on both stores
 * has its rows together, SQLite first.
 */
export function formatTable(results: ScenarioResult[], checks: TargetCheck[]): string {
  const header = [
    'scenario',
    'store',
    'req/s',
    'p50 ms',
    'p99 ms',
    '× baseline',
    'vs minimal',
    'baseline req/s',
    'baseline p99 ms',
    'peak RSS MB',
    'target'
  ]
  const order = [...new Set(results.map((result) => result.id))]
  const grouped = [...results].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
  const rows = grouped.map((result) => {
    const { requestsPerSecond, latencyMs } = result.service.median
    const targets = checks
      .filter((check) => check.scenario === result.id && check.database === result.database)
      .map((check) => `${check.target} (${check.actual}): ${check.met ? 'met' : 'MISSED'}`)
    return [
      result.title,
      STORE_NAMES[result.database],
      requestsPerSecond.toFixed(0),
      latencyMs.p50.toFixed(2),
      latencyMs.p99.toFixed(2),
      ratioToBaseline(result).toFixed(2),
      ratioToMinimal(result)?.toFixed(2) ?? '–',
      result.baseline.median.requestsPerSecond.toFixed(0),
      result.baseline.median.latencyMs.p99.toFixed(2),
      result.servicePeakRssBytes === undefined ? '–' : (result.servicePeakRssBytes / 2 ** 20).toFixed(0),
      targets.join('; ') || '–'
    ]
  })
  const notes = results.flatMap((result) => {
    const background = result.service.background
    return background
      ? [`${result.title}: the login clients completed ${background.requestsPerSecond.toFixed(0)} logins/s`]
      : []
  })
  const overall = checks
    .filter((check) => !results.some((result) => result.id === check.scenario))
    .map((check) => `${check.target}: ${check.actual}, ${check.met ? 'met' : 'MISSED'}`)
  const misses = checks
    .filter((check) => !check.met)
    .map((check) => {
      const where = check.database ? `${check.scenario}, ${STORE_NAMES[check.database]}` : check.scenario
      return `- ${where}: ${check.target} missed (${check.actual}): ${check.reason}`
    })
  const why = misses.length > 0 ? ['', 'Missed, and why:', '', ...misses] : []
  return [markdownTable(header, rows), '', ...notes, ...overall, ...why].join('\n')
}

export function writeResults(
  settings: Settings,
  machine: Machine,
  results: ScenarioResult[],
  checks: TargetCheck[]
): void {
  // Where the PostgreSQL server is (with any password in its URL) goes in as machine.postgres.server.
  const { cpuProfileDir: _profileDir, postgresServerUrl: _server, resultsFile, ...runSettings } = settings
  updateResults(resultsFile, {
    date: new Date().toISOString(),
    machine,
    settings: runSettings,
    targets: checks,
    scenarios: results
  })
}
