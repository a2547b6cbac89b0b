import type { DatabaseConfig } from '../src/db/database-config.js'
import { measure, type Load, type Measurement } from './load.js'
import type { Scenario } from './scenarios.js'
import type { ServerProcess } from './servers.js'
import type { Settings } from './settings.js'

/** The yardsticks: bare Fastify (`baseline`), and the minimal implementation of the same work (`minimal`). */
export type Side = 'baseline' | 'minimal' | 'service'

export interface Summary {
  requestsPerSecond: number
  latencyMs: { mean: number; p50: number; p99: number; max: number }
  failures: number
}

export interface SideResult {
  /** Medians over the rounds (failures are summed). */
  median: Summary
  rounds: Measurement[]
  /** The concurrent background traffic, when the scenario has one. */
  background?: Summary
}

export type StoreKind = DatabaseConfig['kind']

export interface ScenarioMeasurement {
  id: string
  title: string
  baseline: SideResult
  /** Set for the scenarios measured against the minimal server too (`MINIMAL_SCENARIOS`). */
  minimal?: SideResult
  service: SideResult
  /** The service's peak resident set size during this scenario (since start when the kernel cannot reset it). */
  servicePeakRssBytes: number | undefined
}

/** A scenario measured on the service running on one store. */
export interface ScenarioResult extends ScenarioMeasurement {
  database: StoreKind
}

/**
 * Measures one scenario: a warm-up per side, then `rounds` rounds in which the sides take turns (the order reverses
 * every round, so drift on a noisy machine hits every side alike). The minimal server, when given, is sent the
 * scenario's own requests; bare Fastify gets them at `/`.
 */
export async function runScenario(
  scenario: Scenario,
  servers: { baseline: ServerProcess; service: ServerProcess; minimal?: ServerProcess },
  settings: Settings
): Promise<ScenarioMeasurement> {
  const loads: Record<Side, Scenario> = { service: scenario, minimal: scenario, baseline: asBaseline(scenario) }
  const sides: Side[] = servers.minimal ? ['baseline', 'minimal', 'service'] : ['baseline', 'service']
  const rounds: Record<Side, Measurement[][]> = { baseline: [], minimal: [], service: [] }
  const urlOf = (side: Side) => servers[side]!.url
  servers.service.resetPeakRss()
  if (settings.warmupSeconds > 0) {
    for (const side of sides) await measureSide(urlOf(side), loads[side], settings.warmupSeconds)
  }
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse()
    for (const side of order) rounds[side].push(await measureSide(urlOf(side), loads[side], settings.durationSeconds))
  }
  return {
    id: scenario.id,
    title: scenario.title,
    baseline: sideResult(rounds.baseline),
    ...(servers.minimal && { minimal: sideResult(rounds.minimal) }),
    service: sideResult(rounds.service),
    servicePeakRssBytes: servers.service.peakRssBytes()
  }
}

function asBaseline(scenario: Scenario): Scenario {
  const atRoot = (load: Load): Load => ({ ...load, path: '/' })
  return { ...scenario, load: atRoot(scenario.load), background: scenario.background && atRoot(scenario.background) }
}

/** Returns the main measurement, followed by the background one when there is one. */
async function measureSide(url: string, scenario: Scenario, seconds: number): Promise<Measurement[]> {
  return Promise.all(
    [scenario.load, scenario.background].flatMap((load) => (load ? [measure(url, load, seconds)] : []))
  )
}

function sideResult(rounds: Measurement[][]): SideResult {
  const main = rounds.map(([measurement]) => measurement!)
  const background = rounds.flatMap(([, measurement]) => (measurement ? [measurement] : []))
  return {
    median: summarize(main),
    rounds: main,
    ...(background.length > 0 && { background: summarize(background) })
  }
}

function summarize(measurements: Measurement[]): Summary {
  const medianOf = (pick: (measurement: Measurement) => number) => median(measurements.map(pick))
  return {
    requestsPerSecond: medianOf((m) => m.requestsPerSecond),
    latencyMs: {
      mean: medianOf((m) => m.latencyMs.mean),
      p50: medianOf((m) => m.latencyMs.p50),
      p99: medianOf((m) => m.latencyMs.p99),
      max: medianOf((m) => m.latencyMs.max)
    },
    failures: measurements.reduce((sum, m) => sum + m.failures, 0)
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
