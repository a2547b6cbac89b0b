import { measureClosedLoop } from './closed-loop.js'
import type { Load, Measurement } from './measurement.js'
import { measureOpenLoop } from './open-loop.js'

export type { Load, Measurement } from './measurement.js'

/** Measures `load` against `baseUrl` for `seconds`: at a fixed rate when it has one, else as fast as it goes. */
export function measure(baseUrl: string, load: Load, seconds: number): Promise<Measurement> {
  return load.overallRate ? measureOpenLoop(baseUrl, load, seconds) : measureClosedLoop(baseUrl, load, seconds)
}
