import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { problemResponses } from '../../problems/schema.js'
import { BearerSecurity } from '../common/schemas.js'
import {
  AdminUsageQuerySchema,
  AdminUsageReportSchema,
  UsageCsvSchema,
  UsageQuerySchema,
  UsageReportSchema,
  type UsageReport
} from './schemas.js'
import { adminUsageReport, callerUsageReport, usageCsv } from './service.js'

const PAGING =
  'A day, model, user or API key without usage has no row. Keyset pagination: pass `next_cursor` as `cursor` (with the same ' +
  'query) until it is null. Send `Accept: text/csv` for the page as CSV, with the next page’s URL in the `Link` header.'

function reportResponse(schema: TSchema) {
  return {
    description: 'The report, as JSON or (with `Accept: text/csv`) as CSV',
    headers: {
      link: Type.String({
        description: 'The next page, as `<URL>; rel="next"` (CSV only; absent on the last page)',
        examples: ['</api/usage/?from=2026-12-01&to=2026-12-31&group_by=day&limit=20&cursor=ZGF5OjIwNzkw>; rel="next"']
      })
    },
    content: { 'application/json': { schema }, 'text/csv': { schema: UsageCsvSchema } }
  }
}

/** The JSON report, or its CSV with the next page's URL (the same query from the next cursor on) as a Link header. */
function sendReport(request: FastifyRequest, reply: FastifyReply, report: UsageReport) {
  reply.header('vary', 'accept')
  if (!(request.headers.accept ?? '').includes('text/csv')) return report
  if (report.next_cursor !== null) {
    const { username, limit } = request.query as { username?: string; limit: number }
    const { from, to, group_by, next_cursor: cursor } = report
    const next = new URLSearchParams({ from, to, group_by, ...(username === undefined ? {} : { username }) })
    next.set('limit', String(limit))
    next.set('cursor', cursor)
    reply.header('link', `<${request.url.split('?')[0]}?${next}>; rel="next"`)
  }
  return reply.type('text/csv; charset=utf-8').send(usageCsv(report))
}

const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/usage/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'getUsageReport',
        summary: 'Report your usage per day, per model or per API key',
        description:
          'What your answered messages used and cost over a range of days (UTC; this month by default), summed per ' +
          'day, per model or per API key (`group_by=key`: null for messages and calls made without one); refunded ' +
          `messages are not counted. ${PAGING}`,
        tags: ['account'],
        security: BearerSecurity,
        querystring: UsageQuerySchema,
        response: { 200: reportResponse(UsageReportSchema), ...problemResponses(400, 401, 503) }
      }
    },
    async (request, reply) =>
      sendReport(request, reply, await callerUsageReport(app.store, request.user.id, request.query))
  )

  app.get(
    '/api/admin/usage/',
    {
      onRequest: [app.authenticate, app.requireAdmin],
      schema: {
        operationId: 'adminGetUsageReport',
        summary: 'Report everyone’s usage per user, model, day or API key',
        description:
          'What answered messages used and cost over a range of days (UTC; this month by default), summed per user ' +
          `(in the order they registered), per model, per day or per API key, for every user or the one named. ${PAGING}`,
        tags: ['admin'],
        security: BearerSecurity,
        querystring: AdminUsageQuerySchema,
        response: { 200: reportResponse(AdminUsageReportSchema), ...problemResponses(400, 401, 403, 404, 503) }
      }
    },
    async (request, reply) => sendReport(request, reply, await adminUsageReport(app.store, request.query))
  )
}

export default usageRoutes
