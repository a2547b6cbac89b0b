import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BearerSecurity } from '../common/schemas.js'
import { problemResponses } from '../../problems/schema.js'
import { TransactionPageQuerySchema, TransactionPageSchema } from './schemas.js'
import { listTransactions } from './service.js'

const transactionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/transactions/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'listTransactions',
        summary: 'List the changes of your token balance, newest first',
        description:
          'Your ledger: every signup balance, charge, refund and administrator adjustment, with the balance after ' +
          'it. Keyset pagination: pass `next_cursor` as `cursor` until it is null.',
        tags: ['account'],
        security: BearerSecurity,
        querystring: TransactionPageQuerySchema,
        response: { 200: TransactionPageSchema, ...problemResponses(400, 401, 503) }
      }
    },
    async (request) => listTransactions(app.store, request.user.id, request.query)
  )
}

export default transactionRoutes
