import { writeFileSync } from 'node:fs'
import type { ScenarioResult } from './rounds.js'
import type { Settings } from './settings.js'
import { ratioToBaseline, type TargetCheck } from './targets.js'

export interface Machine {
  cpus: number
  cpuModel: string
  node: string
  /** One-minute load average when the run started and when it ended (the run itself adds about 2). */
  loadAverage: { before: number; after: number }
}

/** The results table, in Markdown so that it can be pasted into the README as it is. */
export function formatTable(results: ScenarioResult[], checks: TargetCheck[]): string {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    '× baseline',
    'baseline req/s',
    'baseline p99 ms',
    'peak RSS MB',
    'target'
  ]
  const rows = results.map((result) => {
    const { requestsPerSecond, latencyMs } = result.service.median
    const targets = checks
      .filter((check) => check.scenario === result.id)
      .map((check) => `${check.target} (${check.actual}): ${check.met ? 'met' : 'MISSED'}`)
    return [
      result.title,
      requestsPerSecond.toFixed(0),
      latencyMs.p50.toFixed(2),
      latencyMs.p99.toFixed(2),
      ratioToBaseline(result).toFixed(2),
      result.baseline.median.requestsPerSecond.toFixed(0),
      result.baseline.median.latencyMs.p99.toFixed(2),
      result.servicePeakRssBytes === undefined ? '–' : (result.servicePeakRssBytes / 2 ** 20).toFixed(0),
      targets.join('; ') || '–'
    ]
  })
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`)
  const notes = results.flatMap((result) => {
    const background = result.service.background
    return background
      ? [`${result.title}: the login clients completed ${background.requestsPerSecond.toFixed(0)} logins/s`]
      : []
  })
  const overall = checks
    .filter((check) => !results.some((result) => result.id === check.scenario))
    .map((check) => `${check.target}: ${check.actual}, ${check.met ? 'met' : 'MISSED'}`)
  return [...lines, '', ...notes, ...overall].join('\n')
}

export function writeResults(
  settings: Settings,
  machine: Machine,
  results: ScenarioResult[],
  checks: TargetCheck[]
): void {
  const { cpuProfileDir: _profileDir, resultsFile, ...runSettings } = settings
  const document = {
    date: new Date().toISOString(),
    machine,
    settings: runSettings,
    targets: checks,
    scenarios: results
  }
  writeFileSync(resultsFile, JSON.stringify(document, null, 2) + '\n')
}
