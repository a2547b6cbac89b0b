import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredResponse } from '../../db/store.js'
import { problemFromError, type ProblemError } from '../../plugins/problem.js'
import { startIdempotentRequest, type IdempotencyClaim } from '../idempotency/service.js'
import { clientGoneSignal, openEventStream, wantsEventStream } from './event-stream.js'
import type { ChatRequest } from './schemas.js'
import { replyToChat, reserveChat, type ChatDependencies } from './service.js'

const OPERATION = 'POST /api/chat_msg/'

/**
 * Answers a chat message as JSON or as Server-Sent Events. With an `Idempotency-Key`, a response that charged is
 * remembered and replayed to retries; a key whose request charged nothing is released, so a retry runs afresh.
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
        message
      )
    : undefined
  if (started && 'replay' in started) return replay(request, reply, started.replay)
  const claim = started?.claim

  let chat
  try {
    chat = await reserveChat(deps, request.user.id, message)
  } catch (error) {
    await claim?.release()
    throw error
  }
  const clientGone = clientGoneSignal(request, reply)

  if (!wantsEventStream(request)) {
    try {
      const body = await replyToChat(deps, chat, { clientGone })
      await claim?.remember({ status: 201, body: JSON.stringify(body) })
      return reply.code(201).send(body)
    } catch (error) {
      await claim?.release()
      throw error
    }
  }

  const events = openEventStream(reply)
  try {
    const body = await replyToChat(deps, chat, { clientGone, onDelta: (text) => events.send('delta', { text }) })
    await claim?.remember({ status: 201, body: JSON.stringify(body) })
    events.send('done', body)
  } catch (error) {
    request.log.warn({ err: error }, 'streamed chat failed')
    const problem = { ...problemFromError(error as ProblemError), instance: request.url }
    await rememberIfCharged(claim, problem)
    events.send('error', problem)
  } finally {
    events.end()
  }
  return reply
}

/** A stream that broke after some text was charged, so its answer is kept; a refunded one may be retried. */
async function rememberIfCharged(claim: IdempotencyClaim | undefined, problem: { status: number; refunded?: boolean }) {
  if (problem.refunded === false) await claim?.remember({ status: problem.status, body: JSON.stringify(problem) })
  else await claim?.release()
}

function replay(request: FastifyRequest, reply: FastifyReply, stored: StoredResponse) {
  reply.header('idempotent-replayed', 'true')
  if (wantsEventStream(request)) {
    const events = openEventStream(reply)
    events.send(stored.status < 400 ? 'done' : 'error', JSON.parse(stored.body))
    events.end()
    return reply
  }
  return reply
    .code(stored.status)
    .type(stored.status < 400 ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8')
    .send(stored.body)
}
