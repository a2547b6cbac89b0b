import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problemResponses } from '../../problems/schema.js'
import { AdminUserParamsSchema } from '../admin/schemas.js'
import { BearerSecurity } from '../common/schemas.js'
import {
  ApiKeyCreationSchema,
  ApiKeyListSchema,
  ApiKeyParamsSchema,
  ApiKeySchema,
  ApiKeyUpdateSchema,
  CreatedApiKeySchema
} from './schemas.js'
import { createKey, LIVE_KEY_LIMIT, listKeys, listUserKeys, revokeKey, updateKey, type KeyContext } from './service.js'

const security = BearerSecurity

export type KeyRoutesOptions = KeyContext

/** Your API keys for `/v1`, and administrators' view of everyone's. */
const keyRoutes: FastifyPluginAsyncTypebox<KeyRoutesOptions> = async (app, context) => {
  const tags = ['keys']
  const onRequest = [app.authenticate]
  const adminOnly = { tags: ['admin'], security }

  app.post(
    '/api/keys/',
    {
      onRequest,
      schema: {
        operationId: 'createApiKey',
        summary: 'Make an API key for `/v1`',
        description:
          'The answer carries the key’s `secret`, shown this once; only a keyed hash of it is stored. Optional ' +
          '`models` limit the key to those models, `expires_at` ends it, and the limits cap what it spends per UTC ' +
          `day and calendar month. At most ${LIVE_KEY_LIMIT} keys that are not revoked: past that it is 409 ` +
          '`too_many_api_keys`.',
        tags,
        security,
        body: ApiKeyCreationSchema,
        response: { 201: CreatedApiKeySchema, ...problemResponses(400, 401, 409, 413, 415, 503) }
      }
    },
    async (request, reply) => reply.code(201).send(await createKey(app.store, context, request.user.id, request.body))
  )

  app.get(
    '/api/keys/',
    {
      onRequest,
      schema: {
        operationId: 'listApiKeys',
        summary: 'List your API keys, newest first',
        description: 'Revoked and expired keys included; a key’s secret is never shown again, only its last four.',
        tags,
        security,
        response: { 200: ApiKeyListSchema, ...problemResponses(401, 503) }
      }
    },
    async (request) => listKeys(app.store, request.user.id)
  )

  app.patch(
    '/api/keys/:id/',
    {
      onRequest,
      schema: {
        operationId: 'updateApiKey',
        summary: 'Rename one of your API keys, or change its models or limits',
        description:
          'What is left out stays; null removes a limit, and `models: null` allows every model. A revoked key is 409 ' +
          '`api_key_revoked`.',
        tags,
        security,
        params: ApiKeyParamsSchema,
        body: ApiKeyUpdateSchema,
        response: { 200: ApiKeySchema, ...problemResponses(400, 401, 404, 409, 413, 415, 503) }
      }
    },
    async (request) => updateKey(app.store, context.models, request.params.id, request.user.id, request.body)
  )

  app.delete(
    '/api/keys/:id/',
    {
      onRequest,
      schema: {
        operationId: 'revokeApiKey',
        summary: 'Revoke one of your API keys',
        description:
          'The key stops working with the next request, on every instance. It stays listed, so that its usage keeps ' +
          'its name; revoking it again answers as the first time did.',
        tags,
        security,
        params: ApiKeyParamsSchema,
        response: { 200: ApiKeySchema, ...problemResponses(400, 401, 404, 503) }
      }
    },
    async (request) => revokeKey(app.store, request.params.id, request.user.id)
  )

  app.get(
    '/api/admin/users/:username/keys/',
    {
      onRequest: [app.authenticate, app.requireAdmin],
      schema: {
        operationId: 'adminListUserKeys',
        summary: 'List one user’s API keys, newest first',
        description: 'What the user sees at `GET /api/keys/`.',
        ...adminOnly,
        params: AdminUserParamsSchema,
        response: { 200: ApiKeyListSchema, ...problemResponses(400, 401, 403, 404, 503) }
      }
    },
    async (request) => listUserKeys(app.store, request.params.username)
  )

  app.delete(
    '/api/admin/keys/:id/',
    {
      onRequest: [app.authenticate, app.requireAdmin],
      schema: {
        operationId: 'adminRevokeApiKey',
        summary: 'Revoke any user’s API key',
        description: 'As the user’s own revocation: it stops working with the next request, and stays listed.',
        ...adminOnly,
        params: ApiKeyParamsSchema,
        response: { 200: ApiKeySchema, ...problemResponses(400, 401, 403, 404, 503) }
      }
    },
    async (request) => revokeKey(app.store, request.params.id, undefined)
  )
}

export default keyRoutes
