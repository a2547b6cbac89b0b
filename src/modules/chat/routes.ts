import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { BearerSecurity, IdempotencyHeadersSchema } from '../common/schemas.js'
import { timedAuthentication } from '../common/timed-authentication.js'
import { problemResponses } from '../../problems/schema.js'
import {
  ChatItemSchema,
  ChatPageQuerySchema,
  ChatPageSchema,
  ChatParamsSchema,
  ChatReplySchema,
  ChatRequestSchema
} from './schemas.js'
import { sendChat } from './send-chat.js'
import { getChat, listChatHistory } from './service.js'

const tags = ['chat']

const EventStreamSchema = Type.String({
  description:
    'Server-Sent Events: `delta` events `{"text": …}`, then one `done` event whose data is the JSON body of the 201 ' +
    'answer, or one `error` event whose data is a problem+json body',
  examples: ['event: delta\ndata: {"text":"Paris"}\n\nevent: done\ndata: {"id":42,…}\n\n']
})

const chatRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = app.chatEngine
  app.addHook('onRequest', timedAuthentication(app.authenticate))

  app.post(
    '/api/chat_msg/',
    {
      config: { rateLimitPolicy: 'chats' },
      schema: {
        operationId: 'sendChatMessage',
        summary: 'Send a message to the AI and get its reply',
        description:
          'Costs the model’s price (`GET /api/models/`; 100 tokens a message by default). The worst case is held ' +
          'first and settled to what the reply used, or refunded when no reply comes; a balance that cannot cover ' +
          'even a short reply is 402 and costs nothing. Send `Accept: text/event-stream` to receive the reply as it is written. ' +
          'With an `Idempotency-Key`, a retry of a charged request replays its first answer instead of charging again. ' +
          'Messages are rate limited per user (429 `rate_limited` with `Retry-After`, nothing charged). A spend limit ' +
          '(your own or an administrator’s, per UTC month) that cannot cover even a short reply is 429 ' +
          '`spend_limit_reached`, naming the limit, what is left of it and when it resets (`Retry-After` until then).',
        tags,
        security: BearerSecurity,
        headers: IdempotencyHeadersSchema,
        body: ChatRequestSchema,
        response: {
          200: {
            description: 'The reply as a stream of events',
            content: { 'text/event-stream': { schema: EventStreamSchema } }
          },
          201: ChatReplySchema,
          ...problemResponses(400, 401, 402, 404, 409, 413, 415, 422, 429, 502, 503, 504)
        }
      }
    },
    async (request, reply) => sendChat(deps, request, reply, request.body, request.headers['idempotency-key'])
  )

  app.get(
    '/api/chats/',
    {
      schema: {
        operationId: 'listChats',
        summary: 'List your chat history, newest first',
        description: 'Keyset pagination: pass `next_cursor` as `cursor` until it is null.',
        tags,
        security: BearerSecurity,
        querystring: ChatPageQuerySchema,
        response: { 200: ChatPageSchema, ...problemResponses(400, 401, 503) }
      }
    },
    async (request) => listChatHistory(app.store, request.user.id, request.query)
  )

  app.get(
    '/api/chats/:id/',
    {
      schema: {
        operationId: 'getChat',
        summary: 'Read one of your chats',
        description: 'Chats of other users are reported as not found.',
        tags,
        security: BearerSecurity,
        params: ChatParamsSchema,
        response: { 200: ChatItemSchema, ...problemResponses(400, 401, 404, 503) }
      }
    },
    async (request) => getChat(app.store, request.user.id, request.params.id)
  )
}

export default chatRoutes
