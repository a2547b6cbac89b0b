import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BearerSecurity } from '../common/schemas.js'
import { problemResponses } from '../../problems/schema.js'
import { AccountDeletionSchema, AccountUpdateSchema, SpendLimitsSchema, TokenBalanceSchema } from './schemas.js'
import { deleteOwnAccount, getSpendLimits, getTokenBalance, updateAccount } from './service.js'

const LIMITS =
  'A message whose worst-case cost a limit cannot cover (after `max_tokens` is lowered to what is left) is 429 ' +
  '`spend_limit_reached` and costs nothing. Months are UTC calendar months.'

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

  app.get(
    '/api/account/limits/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'getSpendLimits',
        summary: 'Read your monthly spend limits and this month’s spend',
        description: `Your own limit and an administrator’s both apply. ${LIMITS}`,
        tags: ['account'],
        security: BearerSecurity,
        response: { 200: SpendLimitsSchema, ...problemResponses(401, 503) }
      }
    },
    async (request) => getSpendLimits(app.store, request.user.id)
  )

  app.patch(
    '/api/account/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'updateAccount',
        summary: 'Set or remove your own monthly spend limit',
        description: `\`monthly_limit\`: null removes it; an administrator’s limit stays. ${LIMITS}`,
        tags: ['account'],
        security: BearerSecurity,
        body: AccountUpdateSchema,
        response: { 200: SpendLimitsSchema, ...problemResponses(400, 401, 413, 415, 503) }
      }
    },
    async (request) => updateAccount(app.store, request.user.id, request.body)
  )

  app.delete(
    '/api/account/',
    {
      onRequest: [app.authenticate],
      config: { rateLimitPolicy: 'wrong-passwords' },
      schema: {
        operationId: 'deleteAccount',
        summary: 'Delete your account',
        description:
          'Needs your password (a wrong one is 400 `wrong_password`, counted like a wrong old password on a password ' +
          'change: past the limit, 429 `rate_limited` with `Retry-After`). Your chats, conversations, logins and API ' +
          'keys are gone for good, and this token stops working; your username is free again. The ledger keeps its ' +
          'record of your balance changes, without notes and under no name. While a reply is on its way the answer ' +
          'is 409 `account_busy`, and nothing changed.',
        tags: ['account'],
        security: BearerSecurity,
        body: AccountDeletionSchema,
        response: {
          204: { description: 'Deleted', type: 'null' },
          ...problemResponses(400, 401, 409, 413, 415, 429, 503)
        }
      }
    },
    async (request, reply) => {
      await deleteOwnAccount({ store: app.store, passwords: app.passwords }, request.user, request.body.password)
      return reply.code(204).send()
    }
  )
}

export default accountRoutes
