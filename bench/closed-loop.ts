import autocannon from 'autocannon'
import { headerRotation, LatencyRecorder, type Load, type Measurement } from './measurement.js'

/** Runs autocannon against `baseUrl` for `seconds`: every connection sends its next request when the last is answered. */
export async function measureClosedLoop(baseUrl: string, load: Load, seconds: number): Promise<Measurement> {
  const latencies = new LatencyRecorder()
  const options: autocannon.Options = {
    url: baseUrl + load.path,
    method: load.method,
    headers: load.headers,
    body: load.body,
    connections: load.connections,
    duration: seconds
  }
  if (load.rotatingHeaders) {
    const nextHeaders = headerRotation(load)
    options.requests = [{ setupRequest: (request) => ({ ...request, headers: nextHeaders() }) }]
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => latencies.recordMs(responseTimeMs))
  })
  return latencies.measurement(result.duration, result.non2xx + result.errors + result.timeouts)
}
