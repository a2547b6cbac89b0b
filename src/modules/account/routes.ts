import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BearerSecurity } from '../common/schemas.js'
import { problemResponses } from '../../problems/schema.js'
import { TokenBalanceSchema } from './schemas.js'
import { getTokenBalance } from './service.js'

const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/tokenbalance/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'getTokenBalance',
        summary: 'Read your remaining token balance',
        description: 'Every chat message costs tokens; this is what is left.',
        tags: ['account'],
        security: BearerSecurity,
        response: { 200: TokenBalanceSchema, ...problemResponses(401, 503) }
      }
    },
    async (request) => getTokenBalance(app.store, request.user.id)
  )
}

export default accountRoutes
