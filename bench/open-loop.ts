import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { headerRotation, LatencyRecorder, type Load, type Measurement } from './measurement.js'

const DRAIN_TIMEOUT_MS = 10_000

/**
 * Sends `load.overallRate` requests per second, evenly spaced, whether or not earlier ones were answered, over at
 * most `load.connections` keep-alive connections. Latency counts from when a request was issued, including any wait
 * for a free connection, so a stall shows in the requests queued behind it too. (Timer lag in this process is left
 * out: the 1 ms timer would otherwise add up to a millisecond to every request.) autocannon's `overallRate` cannot do
 * this: it gives each connection a budget per second, which the connection spends at full speed, in a burst.
 */
export async function measureOpenLoop(baseUrl: string, load: Load, seconds: number): Promise<Measurement> {
  const rate = load.overallRate!
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections })
  const latencies = new LatencyRecorder()
  const total = Math.round(rate * seconds)
  let failures = 0
  let answered = 0
  const nextHeaders = headerRotation(load)

  const send = () => {
    const sentAt = performance.now()
    const outgoing = request(
      baseUrl + load.path,
      { method: load.method, headers: nextHeaders(), agent },
      (response) => {
        response.resume()
        response.once('end', () => {
          latencies.recordMs(performance.now() - sentAt)
          if (response.statusCode! < 200 || response.statusCode! >= 300) failures++
          answered++
        })
      }
    )
    outgoing.once('error', () => {
      failures++
      answered++
    })
    outgoing.end(load.body)
  }

  const start = performance.now()
  for (let sent = 0; sent < total; await sleep(1)) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000))
    for (; sent < due; sent++) send()
  }
  const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS
  while (answered < total && performance.now() < drainDeadline) await sleep(1)
  agent.destroy()
  return latencies.measurement(seconds, failures + (total - answered))
}
