import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RateLimitConfig } from '../../config.js'
import type { Limits } from '../../limits/limits.js'
import { usernameKey } from '../auth/usernames.js'
import { BearerSecurity, IdempotencyHeadersSchema } from '../common/schemas.js'
import { problemResponses } from '../../problems/schema.js'
import { sendOutcome } from '../idempotency/respond.js'
import { idempotently } from '../idempotency/service.js'
import { ChatPageQuerySchema, ChatPageSchema } from '../chat/schemas.js'
import { listChatHistory } from '../chat/service.js'
import { TransactionPageQuerySchema, TransactionPageSchema } from '../transactions/schemas.js'
import { listTransactions } from '../transactions/service.js'
import {
  AdminUserPageQuerySchema,
  AdminUserPageSchema,
  AdminUserParamsSchema,
  AdminUserSchema,
  AdminUserUpdateSchema,
  TokenAdjustmentRequestSchema,
  TokenAdjustmentSchema,
  UnlockSchema
} from './schemas.js'
import { accountIdOf, adjustTokens, listAccounts, unlockAccount, updateAccount } from './service.js'

const tags = ['admin']
const security = BearerSecurity
const GRANT_OPERATION = 'POST /api/admin/users/{username}/tokens/'

export interface AdminRoutesOptions {
  /** Where the failed logins are counted, for unlocking. */
  limits: Limits
  failedLogins: RateLimitConfig['failedLogins']
}

/** Account administration; every route is for administrators only (403 `admin_required` for anyone else). */
const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, { limits, failedLogins }) => {
  app.addHook('onRequest', app.authenticate)
  app.addHook('onRequest', app.requireAdmin)

  app.get(
    '/api/admin/users/',
    {
      schema: {
        operationId: 'adminListUsers',
        summary: 'List users in username order, optionally by username prefix',
        description: 'Keyset pagination: pass `next_cursor` as `cursor` (with the same `search`) until it is null.',
        tags,
        security,
        querystring: AdminUserPageQuerySchema,
        response: { 200: AdminUserPageSchema, ...problemResponses(400, 401, 403, 503) }
      }
    },
    async (request) => listAccounts(app.store, request.query)
  )

  app.post(
    '/api/admin/users/:username/tokens/',
    {
      schema: {
        operationId: 'adminAdjustTokens',
        summary: 'Grant tokens to a user or debit their balance',
        description:
          'A positive `amount` is a grant, a negative one a debit; the balance and a ledger row naming you change ' +
          'together. A debit larger than the balance is 409 `insufficient_tokens` and changes nothing. With an ' +
          '`Idempotency-Key`, a retry replays the first answer instead of adjusting twice.',
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        params: AdminUserParamsSchema,
        body: TokenAdjustmentRequestSchema,
        response: { 201: TokenAdjustmentSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) }
      }
    },
    async (request, reply) => {
      const { amount, note } = request.body
      const adjustment = { actorId: request.user.id, username: request.params.username, amount, note }
      // The target user is part of what the key stands for, so the same key for another user is a different request.
      const idempotentRequest = {
        key: request.headers['idempotency-key'],
        userId: request.user.id,
        operation: GRANT_OPERATION,
        fingerprint: { username: usernameKey(adjustment.username), amount, note },
        instance: request.url
      }
      const outcome = await idempotently(app.store, request.log, idempotentRequest, async () => ({
        status: 201,
        body: await adjustTokens(app.store, adjustment)
      }))
      return sendOutcome(reply, outcome)
    }
  )

  app.patch(
    '/api/admin/users/:username/',
    {
      schema: {
        operationId: 'adminUpdateUser',
        summary: 'Deactivate or reactivate a user, promote or demote them, or cap their monthly spend',
        description:
          'Deactivating ends all of the user’s sessions at once: their access and refresh tokens stop working and ' +
          'their logins are refused as wrong credentials. `is_admin` promotes or demotes; the admin API reads it on ' +
          'every request. `monthly_limit` caps what the user may spend per UTC month (null removes the cap), beside ' +
          'any cap of their own; a message it cannot cover is 429 `spend_limit_reached` naming `admin_monthly`. ' +
          'You cannot deactivate yourself (409 `cannot_deactivate_self`) or demote yourself ' +
          '(409 `cannot_demote_self`).',
        tags,
        security,
        params: AdminUserParamsSchema,
        body: AdminUserUpdateSchema,
        response: { 200: AdminUserSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503) }
      }
    },
    async (request) => updateAccount(app.store, request.user.id, request.params.username, request.body)
  )

  app.get(
    '/api/admin/users/:username/transactions/',
    {
      schema: {
        operationId: 'adminListUserTransactions',
        summary: 'List one user’s ledger, newest first',
        description:
          'What the user sees at `GET /api/transactions/`. Keyset pagination: pass `next_cursor` as `cursor` until ' +
          'it is null.',
        tags,
        security,
        params: AdminUserParamsSchema,
        querystring: TransactionPageQuerySchema,
        response: { 200: TransactionPageSchema, ...problemResponses(400, 401, 403, 404, 503) }
      }
    },
    async (request) => listTransactions(app.store, await accountIdOf(app.store, request.params.username), request.query)
  )

  app.get(
    '/api/admin/users/:username/chats/',
    {
      schema: {
        operationId: 'adminListUserChats',
        summary: 'List one user’s chat history, newest first',
        description:
          'What the user sees at `GET /api/chats/`. Keyset pagination: pass `next_cursor` as `cursor` until it is null.',
        tags,
        security,
        params: AdminUserParamsSchema,
        querystring: ChatPageQuerySchema,
        response: { 200: ChatPageSchema, ...problemResponses(400, 401, 403, 404, 503) }
      }
    },
    async (request) => listChatHistory(app.store, await accountIdOf(app.store, request.params.username), request.query)
  )

  app.post(
    '/api/admin/users/:username/unlock/',
    {
      schema: {
        operationId: 'adminUnlockUser',
        summary: 'Lift a user’s failed-login lockout',
        description:
          'Clears the failed logins counted for the username from every address, and the wrong old passwords of ' +
          'their password changes, so they may try again at once. Counts per address across usernames stay. ' +
          'Works on the counts of this instance’s memory, or in Redis with `REDIS_URL`; while Redis cannot be ' +
          'reached it is 503 `limits_unavailable` and nothing was cleared. Unlocking again does no harm.',
        tags,
        security,
        params: AdminUserParamsSchema,
        response: { 200: UnlockSchema, ...problemResponses(400, 401, 403, 404, 503) }
      }
    },
    async (request) => unlockAccount(app.store, limits, failedLogins, request.params.username)
  )
}

export default adminRoutes
