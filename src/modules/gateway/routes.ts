import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { STATUS_CODES } from 'node:http'
import type { FastifyRequest } from 'fastify'
import type { KeyHolder } from '../../db/store.js'
import type { ProblemError } from '../../problems/render.js'
import { InvalidApiKeyError } from '../../problems/errors.js'
import { bearerTokenOf } from '../common/bearer-token.js'
import { BearerSecurity, IdempotencyHeadersSchema } from '../common/schemas.js'
import { sendServerTiming, timedAuthentication } from '../common/timed-authentication.js'
import { openAiErrorExample, type OpenAiErrorStatus } from './error-examples.js'
import { openAiErrorFrom, sendOpenAiError } from './openai-errors.js'
import {
  ChunkStreamSchema,
  CompletionRequestSchema,
  CompletionSchema,
  ModelListSchema,
  OpenAiErrorSchema
} from './schemas.js'
import { sendCompletion } from './send-completion.js'
import { modelList, type Caller } from './service.js'

export interface GatewayRoutesOptions {
  /** The live key with this secret and its user; undefined for a secret that is no key, or a revoked or expired one. */
  findKeyHolder: (secret: string, request: FastifyRequest) => Promise<KeyHolder | undefined>
  /** The prefix every key secret starts with: a bearer token without it is an access token. */
  keyPrefix: string
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key a `/v1` call was made with; undefined for one made with an access token. */
    apiKey: KeyHolder['key'] | undefined
  }
}

const tags = ['openai']

/** Where the OpenAI-compatible API lives, as OpenAI's SDKs expect a base URL to end. */
export const GATEWAY_PREFIX = '/v1'
/** Long conversations are what `/v1` clients send; the hold covers any prompt, so only memory bounds it. */
const COMPLETION_BODY_LIMIT_BYTES = 4 * 1024 * 1024

/** One reference for every route: response serializers are compiled once per schema object (shared-serializers.ts). */
const OPENAI_ERROR_REF = Type.Ref(OpenAiErrorSchema)

/** The `/v1` error responses a route can return, keyed by status, each with its typical example. */
function errorResponses(...statuses: OpenAiErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: STATUS_CODES[status] ?? 'Error',
        content: {
          'application/json': { schema: OPENAI_ERROR_REF, example: openAiErrorExample(status) }
        }
      }
    ])
  )
}

/**
 * The OpenAI-compatible API under `/v1`, on the same wallet as the chat routes: `Authorization: Bearer` with an API
 * key (or an access token), and every error in OpenAI's shape (`openai-errors.ts`), not problem+json.
 */
const gatewayRoutes: FastifyPluginAsyncTypebox<GatewayRoutesOptions> = async (app, { findKeyHolder, keyPrefix }) => {
  const deps = app.chatEngine
  const listedAt = Math.floor(Date.now() / 1000)
  app.decorateRequest('apiKey', undefined)

  app.setErrorHandler<ProblemError>((error, request, reply) => {
    const answer = openAiErrorFrom(error)
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed')
    sendServerTiming(request, reply)
    return sendOpenAiError(request, reply, answer)
  })
  app.setNotFoundHandler((request, reply) =>
    sendOpenAiError(request, reply, {
      status: 404,
      body: {
        error: {
          message: `No route matches ${request.method} ${request.url}`,
          type: 'invalid_request_error',
          code: 'not_found',
          param: null
        }
      },
      headers: {}
    })
  )

  app.addHook(
    'onRequest',
    timedAuthentication(async (request) => {
      const token = bearerTokenOf(request.headers.authorization)
      if (!token.startsWith(keyPrefix)) return app.authenticate(request)
      const holder = await findKeyHolder(token, request)
      if (!holder) throw new InvalidApiKeyError()
      // A key has no login: the key stands where a session would.
      request.user = { ...holder.user, sessionId: `api-key:${holder.key.id}` }
      request.apiKey = holder.key
    })
  )
  const callerOf = (request: FastifyRequest): Caller => ({ userId: request.user.id, apiKey: request.apiKey })

  app.get(
    '/models',
    {
      schema: {
        operationId: 'listOpenAiModels',
        summary: 'List the models your key may use (OpenAI-compatible)',
        description:
          'OpenAI’s model list: every model offered, or those the API key names. Prices and output limits are at ' +
          '`GET /api/models/`.',
        tags,
        security: BearerSecurity,
        response: { 200: ModelListSchema, ...errorResponses(401, 503) }
      }
    },
    async (request) => modelList(deps.models, request.apiKey, listedAt)
  )

  app.post(
    '/chat/completions',
    {
      bodyLimit: COMPLETION_BODY_LIMIT_BYTES,
      config: { rateLimitPolicy: 'chats' },
      schema: {
        operationId: 'createChatCompletion',
        summary: 'Create a chat completion (OpenAI-compatible), charged to your balance',
        description:
          'OpenAI’s Chat Completions API for existing clients: point an OpenAI SDK’s base URL at `/v1` and use an ' +
          'API key (`POST /api/keys/`) or an access token. Metered exactly as a chat message: the model must be ' +
          'allowed for the key, the worst case is held, the usage settled; nothing goes into conversations. ' +
          '`stream: true` answers with Server-Sent Events. Errors come in OpenAI’s shape; a balance or spend limit ' +
          'that cannot cover the call is 429 `insufficient_quota` / `spend_limit_reached` with `x-should-retry: false`.',
        tags,
        security: BearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: CompletionRequestSchema,
        response: {
          200: {
            description: 'The completion, or with `stream: true` its chunks',
            content: {
              'application/json': { schema: CompletionSchema },
              'text/event-stream': { schema: ChunkStreamSchema }
            }
          },
          ...errorResponses(400, 401, 409, 413, 415, 422, 429, 502, 503, 504)
        }
      }
    },
    async (request, reply) =>
      sendCompletion(deps, request, reply, request.body, callerOf(request), request.headers['idempotency-key'])
  )
}

export default gatewayRoutes
