import autocannon from 'autocannon'
import { createHistogram } from 'node:perf_hooks'

/** One kind of traffic: what each request is, how many connections send it, and optionally a fixed overall rate. */
export interface Load {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
  connections: number
  /** Requests per second over all connections; unset means as fast as the server answers. */
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

/**
 * Runs autocannon against `baseUrl` for `seconds`. Latencies are recorded from every response at microsecond
 * resolution (autocannon's own histogram rounds down to whole milliseconds, too coarse for sub-millisecond answers).
 */
export async function measure(baseUrl: string, load: Load, seconds: number): Promise<Measurement> {
  const latencyMicros = createHistogram()
  const options: autocannon.Options = {
    url: baseUrl + load.path,
    method: load.method,
    headers: load.headers,
    body: load.body,
    connections: load.connections,
    overallRate: load.overallRate,
    duration: seconds
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      latencyMicros.record(Math.max(1, Math.round(responseTimeMs * 1000)))
    })
  })
  const requests = latencyMicros.count
  return {
    requests,
    seconds: result.duration,
    requestsPerSecond: requests / result.duration,
    latencyMs: {
      mean: latencyMicros.mean / 1000,
      p50: latencyMicros.percentile(50) / 1000,
      p99: latencyMicros.percentile(99) / 1000,
      max: latencyMicros.max / 1000
    },
    failures: result.non2xx + result.errors + result.timeouts
  }
}
