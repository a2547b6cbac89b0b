import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BearerSecurity } from '../common/schemas.js'
import { problemResponses } from '../../problems/schema.js'
import { ChatPageQuerySchema } from '../chat/schemas.js'
import {
  ConversationPageQuerySchema,
  ConversationPageSchema,
  ConversationParamsSchema,
  ConversationRenameSchema,
  ConversationSchema,
  ConversationWithMessagesSchema
} from './schemas.js'
import { deleteConversation, getConversation, listConversations, renameConversation } from './service.js'

const tags = ['conversations']
const security = BearerSecurity

const conversationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get(
    '/api/conversations/',
    {
      schema: {
        operationId: 'listConversations',
        summary: 'List your conversations, most recent activity first',
        description: 'Keyset pagination: pass `next_cursor` as `cursor` until it is null.',
        tags,
        security,
        querystring: ConversationPageQuerySchema,
        response: { 200: ConversationPageSchema, ...problemResponses(400, 401, 503) }
      }
    },
    async (request) => listConversations(app.store, request.user.id, request.query)
  )

  app.get(
    '/api/conversations/:id/',
    {
      schema: {
        operationId: 'getConversation',
        summary: 'Read one of your conversations with a page of its chats',
        description: 'Chats come newest first; page through them with `cursor` and `limit` as in the history.',
        tags,
        security,
        params: ConversationParamsSchema,
        querystring: ChatPageQuerySchema,
        response: { 200: ConversationWithMessagesSchema, ...problemResponses(400, 401, 404, 503) }
      }
    },
    async (request) => getConversation(app.store, request.user.id, request.params.id, request.query)
  )

  app.patch(
    '/api/conversations/:id/',
    {
      schema: {
        operationId: 'renameConversation',
        summary: 'Rename one of your conversations',
        description: 'Sets the title; leading and trailing whitespace is trimmed.',
        tags,
        security,
        params: ConversationParamsSchema,
        body: ConversationRenameSchema,
        response: { 200: ConversationSchema, ...problemResponses(400, 401, 404, 413, 415, 503) }
      }
    },
    async (request) => renameConversation(app.store, request.user.id, request.params.id, request.body.title)
  )

  app.delete(
    '/api/conversations/:id/',
    {
      schema: {
        operationId: 'deleteConversation',
        summary: 'Delete one of your conversations and its messages',
        description:
          'The messages are gone for good; the ledger keeps its record of what they cost. A conversation with a reply ' +
          'still on its way is 409.',
        tags,
        security,
        params: ConversationParamsSchema,
        response: { 204: { description: 'Deleted', type: 'null' }, ...problemResponses(400, 401, 404, 409, 503) }
      }
    },
    async (request, reply) => {
      await deleteConversation(app.store, request.user.id, request.params.id)
      return reply.code(204).send()
    }
  )
}

export default conversationRoutes
