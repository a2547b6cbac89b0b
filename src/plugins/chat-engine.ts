import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import {
  createChatDependencies,
  type CallTiming,
  type ChatDependencies,
  type ChatEngineOptions
} from '../modules/chat/service.js'

declare module 'fastify' {
  interface FastifyInstance {
    chatEngine: ChatDependencies
  }
  interface FastifyRequest {
    /** The phases of a chat message or `/v1` call, timed from its authentication on (see `CallTiming`). */
    callTiming: CallTiming | undefined
  }
}

/** The metered chat flow's shared parts (see `createChatDependencies`), for the chat and `/v1` routes alike. */
export default fp(
  async function chatEngine(app: FastifyInstance, options: Omit<ChatEngineOptions, 'store' | 'recorder' | 'log'>) {
    const engine = createChatDependencies({ ...options, store: app.store, recorder: app.chatRecorder, log: app.log })
    app.decorate('chatEngine', engine)
    app.decorateRequest('callTiming', undefined)
    app.addHook('onClose', async () => engine.leases.stop())
  },
  { name: 'chat-engine', dependencies: ['store', 'metrics'] }
)
