import { markdownTable } from './markdown-table.js'
import type { OverheadPath } from './overhead-paths.js'
import type { PathMeasurement } from './overhead-rounds.js'
import { STORE_NAMES } from './report.js'
import type { StoreKind } from './rounds.js'

/** One path measured on the service running on one store. */
export interface OverheadResult extends PathMeasurement {
  path: OverheadPath['id']
  title: string
  database: StoreKind
}

export interface OverheadTarget {
  metric: 'p50' | 'p99'
  maximumMs: number
}

/** Issue 16's targets for the latency the service adds to a call, on every path. */
export const OVERHEAD_TARGETS: Record<StoreKind, OverheadTarget[]> = {
  sqlite: [
    { metric: 'p50', maximumMs: 0.4 },
    { metric: 'p99', maximumMs: 1 }
  ],
  postgres: [{ metric: 'p50', maximumMs: 1 }]
}

export interface OverheadCheck {
  path: string
  database: StoreKind
  target: string
  actual: string
  met: boolean
}

export function checkOverhead(results: OverheadResult[]): OverheadCheck[] {
  return results.flatMap(({ path, database, added }) =>
    OVERHEAD_TARGETS[database].map(({ metric, maximumMs }) => ({
      path,
      database,
      target: `added ${metric} ≤ ${maximumMs} ms`,
      actual: `${added[metric].toFixed(3)} ms`,
      met: added[metric] <= maximumMs
    }))
  )
}

const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(3))

/** The latency table, in Markdown: path × store, medians over rounds in milliseconds. */
export function formatOverheadTable(results: OverheadResult[], checks: OverheadCheck[]): string {
  const header = [
    'path',
    'store',
    'direct p50',
    'service p50',
    'added p50',
    'added p99',
    'direct p99',
    'service p99',
    'target'
  ]
  const rows = results.map((result) => {
    const verdicts = checks
      .filter((check) => check.path === result.path && check.database === result.database)
      .map((check) => `${check.target}: ${check.met ? 'met' : 'MISSED'}`)
    return [
      result.title,
      STORE_NAMES[result.database],
      ms(result.median.direct.p50),
      ms(result.median.service.p50),
      ms(result.added.p50),
      ms(result.added.p99),
      ms(result.median.direct.p99),
      ms(result.median.service.p99),
      verdicts.join('; ')
    ]
  })
  return markdownTable(header, rows)
}

const PHASES = ['auth', 'hold', 'model', 'settle', 'total', 'total-model']

/** The medians of the service's own `Server-Timing` phases, per path and store. */
export function formatServerTimingTable(results: OverheadResult[]): string {
  const header = ['path', 'store', ...PHASES.map((phase) => (phase === 'total-model' ? 'total − model' : phase))]
  const rows = results.map((result) => [
    result.title,
    STORE_NAMES[result.database],
    ...PHASES.map((phase) => ms(result.serverTiming[phase]))
  ])
  return markdownTable(header, rows)
}
