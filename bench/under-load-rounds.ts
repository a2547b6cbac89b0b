import { loadavg } from 'node:os'
import type { Load, Measurement } from './measurement.js'
import { measureOpenLoop } from './open-loop.js'
import type { Call } from './overhead-client.js'
import type { OverheadPath } from './overhead-paths.js'
import type { OverheadSide, RoundLatencies } from './overhead-rounds.js'
import { median } from './rounds.js'

export interface RateSettings {
  rounds: number
  durationSeconds: number
  warmupSeconds: number
  answerDelayMs: number
}

export interface RateMeasurement {
  /** Requests per second, both sides. */
  rate: number
  /** Keep-alive connections each side may open. */
  connections: number
  rounds: Array<Record<OverheadSide, Measurement>>
  /** Medians over the rounds of each side's p50 and p99. */
  median: Record<OverheadSide, RoundLatencies>
  /** Service minus direct, round by round, then the median over the rounds. */
  added: RoundLatencies
  /** Requests without a 2xx answer (refused, failed or unanswered), summed over the rounds. */
  failures: Record<OverheadSide, number>
  /** The machine's one-minute load average when the rate's rounds ended. */
  loadAverage: number
}

/** The connections for twice the calls a rate keeps in flight while the upstream thinks, and at least ten. */
const CONNECTION_HEADROOM = 2
const MIN_CONNECTIONS = 10

/**
 * Measures one path at a fixed rate: a warm-up per side, then `rounds` rounds in which each side takes an open loop
 * of evenly spaced calls for `durationSeconds`, the side going first flipping every round. The calls through the
 * service go round the users (`pathOfEachUser`: the path as each calls it), one a call; the direct calls are the same for all.
 */
export async function measureAtRate(
  pathOfEachUser: OverheadPath[],
  rate: number,
  settings: RateSettings
): Promise<RateMeasurement> {
  const connections = Math.max(
    MIN_CONNECTIONS,
    Math.ceil(((rate * settings.answerDelayMs) / 1000) * CONNECTION_HEADROOM)
  )
  const sides = {
    direct: openLoop([pathOfEachUser[0]!.direct], rate, connections),
    service: openLoop(
      pathOfEachUser.map((path) => path.service),
      rate,
      connections
    )
  }
  const measure = (side: OverheadSide, seconds: number) =>
    measureOpenLoop(sides[side].baseUrl, sides[side].load, seconds)

  if (settings.warmupSeconds > 0) {
    for (const side of ['direct', 'service'] as const) await measure(side, settings.warmupSeconds)
  }
  const rounds: RateMeasurement['rounds'] = []
  for (let round = 0; round < settings.rounds; round++) {
    const order: OverheadSide[] = round % 2 === 0 ? ['direct', 'service'] : ['service', 'direct']
    const measured: Partial<Record<OverheadSide, Measurement>> = {}
    for (const side of order) measured[side] = await measure(side, settings.durationSeconds)
    rounds.push(measured as Record<OverheadSide, Measurement>)
  }

  const medianOf = (pick: (round: Record<OverheadSide, Measurement>) => number) => median(rounds.map(pick))
  const sideMedian = (side: OverheadSide): RoundLatencies => ({
    p50: medianOf((round) => round[side].latencyMs.p50),
    p99: medianOf((round) => round[side].latencyMs.p99)
  })
  const failures = (side: OverheadSide) => rounds.reduce((sum, round) => sum + round[side].failures, 0)
  return {
    rate,
    connections,
    rounds,
    median: { direct: sideMedian('direct'), service: sideMedian('service') },
    added: {
      p50: medianOf(({ direct, service }) => service.latencyMs.p50 - direct.latencyMs.p50),
      p99: medianOf(({ direct, service }) => service.latencyMs.p99 - direct.latencyMs.p99)
    },
    failures: { direct: failures('direct'), service: failures('service') },
    loadAverage: loadavg()[0]!
  }
}

/**
 * Calls as the open loop sends them at `rate`: to the server of their URL, at its path, with their body, and the
 * headers of each in turn (the calls differ only in them: each user's credentials).
 */
function openLoop(calls: Call[], rate: number, connections: number): { baseUrl: string; load: Load } {
  const url = new URL(calls[0]!.url)
  return {
    baseUrl: url.origin,
    load: {
      method: 'POST',
      path: url.pathname,
      rotatingHeaders: calls.map((call) => call.headers),
      body: calls[0]!.body,
      connections,
      overallRate: rate
    }
  }
}
