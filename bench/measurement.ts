import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'

/** One kind of traffic: what each request is, how many connections send it, and optionally a fixed overall rate. */
export interface Load {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** Headers added to `headers` in turn, one set a request, round the list: requests spread over several users. */
  rotatingHeaders?: Array<Record<string, string>>
  body?: string
  connections: number
  /** Requests per second, evenly spaced; unset means as fast as the server answers. */
  overallRate?: number
}

export interface Measurement {
  requests: number
  seconds: number
  requestsPerSecond: number
  latencyMs: { mean: number; p50: number; p99: number; max: number }
  /** Responses outside 2xx plus connection errors and timeouts; any of them makes the numbers suspect. */
  failures: number
}

/** The headers of each next request of `load`. */
export function headerRotation(load: Load): () => Record<string, string> | undefined {
  const sets = load.rotatingHeaders
  if (!sets || sets.length === 0) return () => load.headers
  let next = 0
  return () => ({ ...load.headers, ...sets[next++ % sets.length] })
}

/** Latencies in microseconds: autocannon's own histogram rounds down to whole milliseconds, too coarse here. */
export class LatencyRecorder {
  private readonly micros: RecordableHistogram = createHistogram()

  recordMs(latencyMs: number) {
    this.micros.record(Math.max(1, Math.round(latencyMs * 1000)))
  }

  measurement(seconds: number, failures: number): Measurement {
    const { micros } = this
    return {
      requests: micros.count,
      seconds,
      requestsPerSecond: micros.count / seconds,
      latencyMs: {
        mean: micros.mean / 1000,
        p50: micros.percentile(50) / 1000,
        p99: micros.percentile(99) / 1000,
        max: micros.max / 1000
      },
      failures
    }
  }
}
