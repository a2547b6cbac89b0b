import type { FastifyReply } from 'fastify'
import { openServerSentEvents } from '../chat/event-stream.js'
import type { Completion, CompletionChunk, OpenAiError } from './schemas.js'

/** Where a streamed answer's chunks come from: the call's id, creation time and model, shared by every chunk. */
export interface ChunkHead {
  id: string
  created: number
  model: string
}

export type ChunkStream = ReturnType<typeof openChunkStream>

/**
 * A streamed answer as OpenAI sends one: `data:` lines of `chat.completion.chunk`, the first naming the role, then
 * one per piece of text; at the end a chunk with the finish reason, with `include_usage` one with the usage and no
 * choices, and `data: [DONE]`. A failure after the start is one `data:` line with an `error` (OpenAI's SDKs throw
 * it), and no `[DONE]`.
 */
export function openChunkStream(reply: FastifyReply, head: ChunkHead, includeUsage: boolean) {
  const stream = openServerSentEvents(reply)
  const send = (data: unknown) => stream.write(`data: ${JSON.stringify(data)}\n\n`)
  const chunk = (
    delta: CompletionChunk['choices'][number]['delta'],
    finishReason: CompletionChunk['choices'][number]['finish_reason'] = null
  ): CompletionChunk => ({
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {})
  })
  send(chunk({ role: 'assistant', content: '' }))
  return {
    delta(text: string) {
      send(chunk({ content: text }))
    },
    /** Ends the stream with the settled answer's finish reason and usage. */
    finish(completion: Completion) {
      send(chunk({}, completion.choices[0]!.finish_reason))
      if (includeUsage) send({ ...head, object: 'chat.completion.chunk', choices: [], usage: completion.usage })
      stream.end('data: [DONE]\n\n')
    },
    fail(error: OpenAiError) {
      send(error)
      stream.end()
    },
    /** Ends the stream however it got here; a stream that finished or failed is already ended. */
    close() {
      if (!stream.writableEnded) stream.end()
    }
  }
}

/** A remembered answer sent again as a stream: all of its text in one chunk. */
export function replayAsChunks(reply: FastifyReply, completion: Completion, includeUsage: boolean) {
  const { id, created, model } = completion
  const stream = openChunkStream(reply.header('idempotent-replayed', 'true'), { id, created, model }, includeUsage)
  stream.delta(completion.choices[0]!.message.content)
  stream.finish(completion)
}
