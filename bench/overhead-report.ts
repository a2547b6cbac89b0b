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
  /** For a miss, where the added time went, from the run's own numbers. */
  reason?: string
}

export function checkOverhead(results: OverheadResult[]): OverheadCheck[] {
  return results.flatMap((result) =>
    OVERHEAD_TARGETS[result.database].map(({ metric, maximumMs }) => {
      const met = result.added[metric] <= maximumMs
      return {
        path: result.path,
        database: result.database,
        target: `added ${metric} ≤ ${maximumMs} ms`,
        actual: `${result.added[metric].toFixed(3)} ms`,
        met,
        ...(met ? {} : { reason: metric === 'p50' ? medianReason(result) : tailReason(result) })
      }
    })
  )
}

const WHERE_PROFILED = 'bench/NOTES.md, "Where the remaining misses come from"'

/** The median's miss told by the service's `Server-Timing`: its own phases, the model call, and the time outside. */
function medianReason({ serverTiming: phase, median, database }: OverheadResult): string {
  const direct = median.direct.p50
  const service = median.service.p50
  const own = `auth ${ms(phase.auth)}, hold ${ms(phase.hold)}`
  const onPostgres = database === 'postgres'
  if (phase.model === undefined) {
    const commits = onPostgres ? '; the hold waits for a commit flushed to disk' : ''
    const afterOpening = service - (phase.total ?? 0)
    return (
      `the stream opened after ${ms(phase.total)} ms (${own}), and its first text took ${ms(afterOpening)} ms ` +
      `more, against ${ms(direct)} ms for the direct call${commits} (${WHERE_PROFILED})`
    )
  }
  const commits = onPostgres ? '; hold and settle each wait for a commit flushed to disk' : ''
  const outside = service - (phase.total ?? 0)
  const between = (phase['total-model'] ?? 0) - (phase.auth ?? 0) - (phase.hold ?? 0) - (phase.settle ?? 0)
  return (
    `the service's own share of its total was ${ms(phase['total-model'])} ms (${own}, settle ` +
    `${ms(phase.settle)}, ${ms(between)} between them), the model phase ${ms(phase.model)} ms against ` +
    `${ms(direct)} ms for the direct call, and ${ms(outside)} ms passed outside its total (the loopback, ` +
    `reading the request, writing the answer)${commits} (${WHERE_PROFILED})`
  )
}

/** The tail's miss: how far the service's p99 stands from its own median and from the direct call's tail. */
function tailReason({ median }: OverheadResult): string {
  return (
    `the service's p99 is ${ms(median.service.p99)} ms against its own p50 of ${ms(median.service.p50)} ms and the ` +
    `direct call's p99 of ${ms(median.direct.p99)} ms: single stalls of its one event-loop thread (garbage ` +
    `collection, commits), not a slower phase (${WHERE_PROFILED})`
  )
}

const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(3))

/** Every missed target with its reason, as a Markdown list. */
export function formatMisses(results: OverheadResult[], checks: OverheadCheck[]): string {
  const title = (check: OverheadCheck) =>
    results.find((result) => result.path === check.path && result.database === check.database)?.title ?? check.path
  return checks
    .filter((check) => !check.met)
    .map(
      (check) =>
        `- ${title(check)}, ${STORE_NAMES[check.database]}: ${check.target} missed (${check.actual}): ${check.reason}`
    )
    .join('\n')
}

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
