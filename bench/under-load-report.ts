import { markdownTable } from './markdown-table.js'
import { STORE_NAMES } from './report.js'
import type { StoreKind } from './rounds.js'
import type { LoadPathId } from './under-load-settings.js'
import type { RateMeasurement } from './under-load-rounds.js'

/** One path measured at each rate on the service running on one store. */
export interface UnderLoadResult {
  path: LoadPathId
  title: string
  database: StoreKind
  rates: RateMeasurement[]
}

/** The performance issue's item 4: at 1,000 chats/s the service adds at most 2 ms at p99 and refuses nothing. */
export const UNDER_LOAD_TARGET = { rate: 1000, maximumAddedP99Ms: 2 }

export interface UnderLoadCheck {
  path: LoadPathId
  database: StoreKind
  /** The highest rate measured at which the target's latency held with nothing refused; undefined: none. */
  highestHoldingRate: number | undefined
  target: string
  actual: string
  met: boolean
}

/** Whether a rate held: the added p99 within the target, and every call on both sides answered with a 2xx. */
export function holds(measured: RateMeasurement): boolean {
  const { added, failures } = measured
  return added.p99 <= UNDER_LOAD_TARGET.maximumAddedP99Ms && failures.service === 0 && failures.direct === 0
}

export function checkUnderLoad(results: UnderLoadResult[]): UnderLoadCheck[] {
  const { rate, maximumAddedP99Ms } = UNDER_LOAD_TARGET
  return results.map(({ path, database, rates }) => {
    const atTarget = rates.find((measured) => measured.rate === rate)
    const holding = rates.filter(holds).map((measured) => measured.rate)
    return {
      path,
      database,
      highestHoldingRate: holding.length > 0 ? Math.max(...holding) : undefined,
      target: `added p99 ≤ ${maximumAddedP99Ms} ms and nothing refused at ${rate.toLocaleString('en-US')} req/s`,
      actual: atTarget ? verdictOf(atTarget) : 'not measured',
      met: atTarget !== undefined && holds(atTarget)
    }
  })
}

function verdictOf({ added, failures }: RateMeasurement): string {
  const directFailures = failures.direct > 0 ? `, ${failures.direct} direct calls failed` : ''
  return `added p99 ${added.p99.toFixed(3)} ms, ${failures.service} refused or failed${directFailures}`
}

const ms = (value: number) => value.toFixed(3)

/** The table, in Markdown: path × store × rate, medians over rounds in milliseconds. */
export function formatUnderLoadTable(results: UnderLoadResult[]): string {
  const header = [
    'path',
    'store',
    'req/s',
    'connections',
    'direct p50',
    'service p50',
    'added p50',
    'direct p99',
    'service p99',
    'added p99',
    'refused',
    'holds'
  ]
  const rows = results.flatMap(({ title, database, rates }) =>
    rates.map((measured) => [
      title,
      STORE_NAMES[database],
      String(measured.rate),
      String(measured.connections),
      ms(measured.median.direct.p50),
      ms(measured.median.service.p50),
      ms(measured.added.p50),
      ms(measured.median.direct.p99),
      ms(measured.median.service.p99),
      ms(measured.added.p99),
      measured.failures.direct > 0
        ? `${measured.failures.service} (direct: ${measured.failures.direct})`
        : String(measured.failures.service),
      holds(measured) ? 'yes' : 'no'
    ])
  )
  return markdownTable(header, rows)
}

/** A line per path and store: the highest rate that held, and the target's verdict with its numbers. */
export function formatUnderLoadChecks(results: UnderLoadResult[], checks: UnderLoadCheck[]): string {
  return checks
    .map((check) => {
      const { title } = results.find((result) => result.path === check.path && result.database === check.database)!
      const highest = check.highestHoldingRate === undefined ? 'none' : `${check.highestHoldingRate} req/s`
      return (
        `${title} on ${STORE_NAMES[check.database]}: highest rate holding: ${highest}; ` +
        `${check.target}: ${check.met ? 'met' : 'MISSED'} (${check.actual})`
      )
    })
    .join('\n')
}
