import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredResponse } from '../../db/store.js'
import type { ProblemError } from '../../problems/render.js'
import { clientGoneSignal } from '../chat/event-stream.js'
import { sendServerTiming } from '../common/timed-authentication.js'
import { runMetered, type ChatDependencies, type ChatOptions } from '../chat/service.js'
import { idempotently } from '../idempotency/service.js'
import { openChunkStream, replayAsChunks, type ChunkStream } from './chunk-stream.js'
import { fromProblem, openAiErrorFrom, sendOpenAiError } from './openai-errors.js'
import type { Completion, CompletionRequest } from './schemas.js'
import { completionId, completionOf, modelFor, planCall, recordedMessage, unixSeconds, type Caller } from './service.js'

const OPERATION = 'POST /v1/chat/completions'

/**
 * Answers a `/v1` call as a `chat.completion`, or as chunks with `stream: true`, metered as a chat message is (see
 * `runMetered`) and under an optional `Idempotency-Key`. A refusal before anything was charged is an ordinary error
 * answer either way; once the cost is reserved, a stream opens and ends with `[DONE]` or one error.
 */
export async function sendCompletion(
  deps: ChatDependencies,
  request: FastifyRequest,
  reply: FastifyReply,
  body: CompletionRequest,
  caller: Caller,
  key: string | undefined
) {
  const model = modelFor(deps.models, caller, body.model)
  const plan = planCall(model, body)
  const includeUsage = body.stream_options?.include_usage === true
  let chunks: ChunkStream | undefined
  const streaming: Partial<ChatOptions> = {
    onStart: (chat) => {
      sendServerTiming(request, reply)
      chunks = openChunkStream(
        reply,
        { id: completionId(chat.chatId), created: unixSeconds(Date.now()), model: model.id },
        includeUsage
      )
    },
    onDelta: (text) => chunks!.delta(text)
  }
  const options = {
    clientGone: clientGoneSignal(request, reply),
    log: request.log,
    timing: request.callTiming!,
    ...(body.stream ? streaming : {})
  }
  const record = { origin: 'api' as const, apiKeyId: caller.apiKey?.id, message: recordedMessage(plan) }
  // Streamed or not, a call is the same call: a retry may ask for the other way and gets the first answer.
  const { stream: _stream, stream_options: _streamOptions, ...fingerprint } = body

  try {
    const outcome = await idempotently(
      deps.store,
      request.log,
      {
        key,
        userId: caller.userId,
        operation: OPERATION,
        fingerprint,
        instance: request.url
      },
      async (idempotencyKey) => ({
        status: 200,
        body: completionOf(
          await runMetered(deps, caller.userId, record, { ...options, idempotencyKey }, async () => plan),
          model
        )
      })
    )
    sendServerTiming(request, reply)
    if ('replay' in outcome) return replay(request, reply, outcome.replay, body.stream === true, includeUsage)
    if (!chunks) return reply.code(200).send(outcome.answer.body)
    chunks.finish(outcome.answer.body)
  } catch (error) {
    if (!chunks) throw error
    request.log.warn({ err: error }, 'streamed /v1 call failed')
    chunks.fail(openAiErrorFrom(error as ProblemError).body)
  } finally {
    chunks?.close()
  }
  return reply
}

function replay(
  request: FastifyRequest,
  reply: FastifyReply,
  stored: StoredResponse,
  streamed: boolean,
  includeUsage: boolean
) {
  if (stored.status >= 400) {
    return sendOpenAiError(request, reply.header('idempotent-replayed', 'true'), fromProblem(JSON.parse(stored.body)))
  }
  const completion = JSON.parse(stored.body) as Completion
  if (streamed) return replayAsChunks(reply, completion, includeUsage)
  return reply.code(200).header('idempotent-replayed', 'true').send(completion)
}
