import type { SequentialClient } from './overhead-client.js'
import type { OverheadPath } from './overhead-paths.js'
import { median } from './rounds.js'

export type OverheadSide = 'direct' | 'service'

export interface OverheadSettings {
  rounds: number
  requestsPerRound: number
  warmupRequests: number
}

/** Latencies of one side over all measured requests, in milliseconds. */
export interface LatencySummary {
  requests: number
  p50: number
  p99: number
  min: number
  max: number
}

export interface RoundLatencies {
  p50: number
  p99: number
}

export interface PathMeasurement {
  /** Per round, p50 and p99 of each side. */
  rounds: Array<Record<OverheadSide, RoundLatencies>>
  /** Medians over the rounds of each side's p50 and p99. */
  median: Record<OverheadSide, RoundLatencies>
  /** Service minus direct, round by round, then the median over the rounds; `p50Quartiles` spread over rounds. */
  added: { p50: number; p99: number; p50Quartiles: [number, number] }
  /** Every measured request of a side, pooled over the rounds. */
  raw: Record<OverheadSide, LatencySummary>
  /** Median milliseconds of each phase the service's `Server-Timing` named, and of `total` minus `model`. */
  serverTiming: Record<string, number>
}

export interface OverheadClients {
  direct: SequentialClient
  service: SequentialClient
}

/**
 * Measures one path: `warmupRequests` unmeasured calls per side, then `rounds` rounds in which each side makes
 * `requestsPerRound` calls one after another, the side going first flipping every round.
 */
export async function measurePath(
  path: OverheadPath,
  clients: OverheadClients,
  settings: OverheadSettings
): Promise<PathMeasurement> {
  const calls = { direct: path.direct, service: path.service }
  for (const side of ['direct', 'service'] as const) {
    for (let request = 0; request < settings.warmupRequests; request++) await clients[side].time(calls[side])
  }
  const latencies: Record<OverheadSide, number[][]> = { direct: [], service: [] }
  const timings: string[] = []
  for (let round = 0; round < settings.rounds; round++) {
    const order: OverheadSide[] = round % 2 === 0 ? ['direct', 'service'] : ['service', 'direct']
    for (const side of order) {
      const measured: number[] = []
      for (let request = 0; request < settings.requestsPerRound; request++) {
        const { ms, serverTiming } = await clients[side].time(calls[side])
        measured.push(ms)
        if (side === 'service' && serverTiming) timings.push(serverTiming)
      }
      latencies[side].push(measured.sort((a, b) => a - b))
    }
  }

  const rounds = latencies.direct.map((direct, round) => ({
    direct: roundLatencies(direct),
    service: roundLatencies(latencies.service[round]!)
  }))
  const medianOf = (pick: (round: (typeof rounds)[number]) => number) => median(rounds.map(pick))
  const addedP50s = rounds.map(({ direct, service }) => service.p50 - direct.p50).sort((a, b) => a - b)
  return {
    rounds,
    median: {
      direct: { p50: medianOf((r) => r.direct.p50), p99: medianOf((r) => r.direct.p99) },
      service: { p50: medianOf((r) => r.service.p50), p99: medianOf((r) => r.service.p99) }
    },
    added: {
      p50: median(addedP50s),
      p99: medianOf(({ direct, service }) => service.p99 - direct.p99),
      p50Quartiles: [percentile(addedP50s, 25), percentile(addedP50s, 75)]
    },
    raw: { direct: summarize(latencies.direct.flat()), service: summarize(latencies.service.flat()) },
    serverTiming: phaseMedians(timings)
  }
}

function roundLatencies(sorted: number[]): RoundLatencies {
  return { p50: median(sorted), p99: percentile(sorted, 99) }
}

function summarize(latencies: number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    requests: sorted.length,
    p50: median(sorted),
    p99: percentile(sorted, 99),
    min: sorted[0]!,
    max: sorted.at(-1)!
  }
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: number[], percent: number): number {
  return sorted[Math.max(0, Math.ceil((sorted.length * percent) / 100) - 1)]!
}

/** `auth;dur=0.41, hold;dur=0.63, …` of every response, as the median of each phase. */
function phaseMedians(headers: string[]): Record<string, number> {
  const phases = new Map<string, number[]>()
  const add = (phase: string, ms: number) => {
    const values = phases.get(phase)
    if (values) values.push(ms)
    else phases.set(phase, [ms])
  }
  for (const header of headers) {
    const durations = new Map(
      header.split(',').map((entry) => {
        const [phase, duration] = entry.trim().split(';dur=')
        return [phase!, Number(duration)] as const
      })
    )
    for (const [phase, ms] of durations) add(phase, ms)
    const total = durations.get('total')
    if (total !== undefined) add('total-model', total - (durations.get('model') ?? 0))
  }
  return Object.fromEntries([...phases].map(([phase, values]) => [phase, median(values)]))
}
