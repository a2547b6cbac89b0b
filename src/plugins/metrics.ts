import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createPrometheusMetrics, type PrometheusMetrics } from '../metrics/prometheus.js'
import { ignoreChatEvents, ignoreLimitsEvents, type ChatRecorder, type LimitsRecorder } from '../metrics/recorder.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Where services report what they did; a no-op when metrics are switched off. */
    chatRecorder: ChatRecorder
    /** Where the limits report calls that failed open; a no-op when metrics are switched off. */
    limitsRecorder: LimitsRecorder
    /** The Prometheus registry's exposition, or undefined when metrics are switched off. */
    prometheus: Pick<PrometheusMetrics, 'contentType' | 'render'> | undefined
  }
}

/** Requests that match no route share one label, so that probing random URLs cannot grow the series without bound. */
const UNMATCHED_ROUTE = 'unmatched'

/**
 * Prometheus metrics: request durations for every route, the chat service's events through `chatRecorder`, and the
 * limits' through `limitsRecorder`.
 */
export default fp(
  async function metrics(app: FastifyInstance, { enabled }: { enabled: boolean }) {
    if (!enabled) {
      app.decorate('chatRecorder', ignoreChatEvents)
      app.decorate('limitsRecorder', ignoreLimitsEvents)
      app.decorate('prometheus', undefined)
      return
    }
    const prometheus = createPrometheusMetrics()
    app.decorate('chatRecorder', prometheus.chatRecorder)
    app.decorate('limitsRecorder', prometheus.limitsRecorder)
    app.decorate('prometheus', prometheus)
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE)
      prometheus.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
      done()
    })
  },
  { name: 'metrics' }
)
