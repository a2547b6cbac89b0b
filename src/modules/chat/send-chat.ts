import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredResponse } from '../../db/store.js'
import { problemFromError, type ProblemError } from '../../problems/render.js'
import { sendReplay } from '../idempotency/respond.js'
import { startIdempotentRequest } from '../idempotency/service.js'
import { clientGoneSignal, openEventStream, wantsEventStream } from './event-stream.js'
import type { ChatRequest } from './schemas.js'
import { replyToChat, reserveChat, type ChatDependencies } from './service.js'

const OPERATION = 'POST /api/chat_msg/'

/**
 * Answers a chat message as JSON or as Server-Sent Events. With an `Idempotency-Key`, the answer of a request that
 * charged is remembered and replayed to retries. The key is released only for a request refused before it charged;
 * a refunded chat releases it in the refund's own transaction (see `Store.refundChat`), so a retry runs afresh.
 */
export async function sendChat(
  deps: ChatDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  message: ChatRequest,
  idempotencyKey: string | undefined
) {
  const started = idempotencyKey
    ? await startIdempotentRequest(
        deps.store,
        { userId: request.user.id, operation: OPERATION, key: idempotencyKey },
        message,
        request.log
      )
    : undefined
  if (started && 'replay' in started) return replay(request, reply, started.replay)
  const claim = started?.claim

  let chat
  try {
    chat = await reserveChat(deps, request.user.id, message, claim?.scope)
  } catch (error) {
    await claim?.release()
    throw error
  }
  const options = { clientGone: clientGoneSignal(request, reply), log: request.log }

  if (!wantsEventStream(request)) {
    const body = await replyToChat(deps, chat, options)
    await claim?.remember({ status: 201, body: JSON.stringify(body) })
    return reply.code(201).send(body)
  }

  // Exactly one `done` or `error` event ends the stream: remembering an answer never throws.
  const events = openEventStream(reply)
  try {
    const body = await replyToChat(deps, chat, { ...options, onDelta: (text) => events.send('delta', { text }) })
    await claim?.remember({ status: 201, body: JSON.stringify(body) })
    events.send('done', body)
  } catch (error) {
    request.log.warn({ err: error }, 'streamed chat failed')
    const problem = { ...problemFromError(error as ProblemError), instance: request.url }
    // A stream that broke after some text was charged, so its answer is kept for retries.
    if (problem.refunded === false) await claim?.remember({ status: problem.status, body: JSON.stringify(problem) })
    events.send('error', problem)
  } finally {
    events.end()
  }
  return reply
}

function replay(request: FastifyRequest, reply: FastifyReply, stored: StoredResponse) {
  if (!wantsEventStream(request)) return sendReplay(reply, stored)
  const events = openEventStream(reply.header('idempotent-replayed', 'true'))
  events.send(stored.status < 400 ? 'done' : 'error', JSON.parse(stored.body))
  events.end()
  return reply
}
