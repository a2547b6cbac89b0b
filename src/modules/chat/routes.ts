import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AiProvider } from '../../ai/provider.js'
import { BearerSecurity, problemResponses } from '../common/schemas.js'
import {
  ChatItemSchema,
  ChatPageQuerySchema,
  ChatPageSchema,
  ChatParamsSchema,
  ChatReplySchema,
  ChatRequestSchema
} from './schemas.js'
import { getChat, listChatHistory, sendChatMessage, type ChatDependencies } from './service.js'

const tags = ['chat']

const chatRoutes: FastifyPluginAsyncTypebox<{ provider: AiProvider; chatCost: number }> = async (app, options) => {
  const deps: ChatDependencies = {
    store: app.store,
    provider: options.provider,
    chatCost: options.chatCost,
    recorder: app.chatRecorder
  }
  app.addHook('onRequest', app.authenticate)

  app.post(
    '/api/chat_msg/',
    {
      schema: {
        operationId: 'sendChatMessage',
        summary: 'Send a message to the AI and get its reply',
        description:
          'Costs `CHAT_COST` tokens (100 by default), charged only when the reply arrives. A short balance is 402 and costs nothing.',
        tags,
        security: BearerSecurity,
        body: ChatRequestSchema,
        response: { 201: ChatReplySchema, ...problemResponses(400, 401, 402, 413, 415, 502) }
      }
    },
    async (request, reply) => reply.code(201).send(await sendChatMessage(deps, request.user.id, request.body.message))
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
        response: { 200: ChatPageSchema, ...problemResponses(400, 401) }
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
        response: { 200: ChatItemSchema, ...problemResponses(400, 401, 404) }
      }
    },
    async (request) => getChat(app.store, request.user.id, request.params.id)
  )
}

export default chatRoutes
