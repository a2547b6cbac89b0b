import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredResponse } from '../../db/store.js'
import { problemFromError, type ProblemError } from '../../problems/render.js'
import { sendServerTiming } from '../common/timed-authentication.js'
import { sendOutcome } from '../idempotency/respond.js'
import { idempotently } from '../idempotency/service.js'
import { clientGoneSignal, openEventStream, wantsEventStream, type EventStream } from './event-stream.js'
import type { ChatRequest } from './schemas.js'
import { runChat, type ChatDependencies } from './service.js'

const OPERATION = 'POST /api/chat_msg/'

/**
 * Answers a chat message as JSON or as Server-Sent Events, under an optional `Idempotency-Key` (one mechanism for
 * both, see `idempotently`). A refusal before anything was charged is an ordinary problem response either way; once
 * the cost is reserved, a stream opens and ends with exactly one `done` or `error` event.
 */
export async function sendChat(
  deps: ChatDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  message: ChatRequest,
  key: string | undefined
) {
  const streamed = wantsEventStream(request)
  let events: EventStream | undefined
  const streaming = {
    onStart: () => {
      sendServerTiming(request, reply)
      events = openEventStream(reply)
    },
    onDelta: (text: string) => events!.send('delta', { text })
  }
  const options = {
    clientGone: clientGoneSignal(request, reply),
    log: request.log,
    timing: request.callTiming!,
    ...(streamed ? streaming : {})
  }
  const idempotentRequest = {
    key,
    userId: request.user.id,
    operation: OPERATION,
    fingerprint: message,
    instance: request.url
  }

  try {
    const outcome = await idempotently(deps.store, request.log, idempotentRequest, async (idempotencyKey) => ({
      status: 201,
      body: await runChat(deps, request.user.id, message, { ...options, idempotencyKey })
    }))
    if (!streamed) {
      sendServerTiming(request, reply)
      return sendOutcome(reply, outcome)
    }
    if ('replay' in outcome) return replayAsEvents(reply, outcome.replay)
    events!.send('done', outcome.answer.body)
  } catch (error) {
    if (!events) throw error
    request.log.warn({ err: error }, 'streamed chat failed')
    events.send('error', { ...problemFromError(error as ProblemError), instance: request.url })
  } finally {
    events?.end()
  }
  return reply
}

function replayAsEvents(reply: FastifyReply, stored: StoredResponse) {
  const events = openEventStream(reply.header('idempotent-replayed', 'true'))
  events.send(stored.status < 400 ? 'done' : 'error', JSON.parse(stored.body))
  events.end()
  return reply
}
