import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Limits } from '../../limits/limits.js'
import { NOT_READY_EXAMPLE, SHUTTING_DOWN_EXAMPLE } from '../../problems/examples.js'
import { problemResponse, problemResponses } from '../../problems/schema.js'
import { HealthSchema, METRICS_MEDIA_TYPE, MetricsSchema, ReadinessSchema } from './schemas.js'
import { checkReadiness, metricsTokenCheck } from './service.js'

const tags = ['ops']

/** Probes for orchestrators, which need no token, and the Prometheus scrape endpoint, which wants `metricsToken` if set. */
interface OpsRoutesOptions {
  metricsToken: string | undefined
  limits: Limits
}

const opsRoutes: FastifyPluginAsyncTypebox<OpsRoutesOptions> = async (app, { metricsToken, limits }) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'checkHealth',
        summary: 'Liveness probe: the process answers',
        description: 'Answers 200 while the process can serve requests; it checks nothing else.',
        tags,
        response: { 200: HealthSchema, 503: problemResponse(503, SHUTTING_DOWN_EXAMPLE) }
      }
    },
    async () => ({ status: 'ok' as const })
  )

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'checkReadiness',
        summary: 'Readiness probe: the database answers and is migrated',
        description:
          'Answers 503 `not_ready` while the database is unreachable or lacks a migration, and while shutting down. ' +
          'It also says whether the limits (Redis, with `REDIS_URL`) can be reached, but stays 200 while they cannot: ' +
          'the limits then fail open and the database still guards every balance.',
        tags,
        response: { 200: ReadinessSchema, 503: problemResponse(503, NOT_READY_EXAMPLE) }
      }
    },
    async () => checkReadiness(app.store, limits)
  )

  const prometheus = app.prometheus
  if (!prometheus) return
  const checkToken = metricsToken === undefined ? undefined : metricsTokenCheck(metricsToken)
  app.get(
    '/metrics',
    {
      onRequest: async (request) => checkToken?.(request.headers.authorization),
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description:
          'Request durations by route and status, chats by outcome, tokens charged and refunded, AI provider latency, ' +
          'limit checks that failed open, and the Node.js process. Absent (404) when `METRICS_ENABLED=false`. When the server sets `METRICS_TOKEN` it ' +
          'wants that token as a bearer token (401 without it); without one, keep the route off the public internet.',
        tags,
        response: {
          200: { description: 'The current metrics', content: { [METRICS_MEDIA_TYPE]: { schema: MetricsSchema } } },
          ...problemResponses(401),
          503: problemResponse(503, SHUTTING_DOWN_EXAMPLE)
        }
      }
    },
    async (_request, reply) => reply.type(prometheus.contentType).send(await prometheus.render())
  )
}

export default opsRoutes
