import type { FastifyReply, FastifyRequest } from 'fastify'
import { PassThrough } from 'node:stream'

export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream')
}

export type EventStream = ReturnType<typeof openEventStream>

/** Server-Sent Events on this reply: each event is a name and one line of JSON data. */
export function openEventStream(reply: FastifyReply) {
  const stream = openServerSentEvents(reply)
  return {
    send(event: 'delta' | 'done' | 'error', data: unknown) {
      stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    },
    end() {
      stream.end()
    }
  }
}

/** A 200 `text/event-stream` answer on this reply, to write events to, already sent a comment line. */
export function openServerSentEvents(reply: FastifyReply): PassThrough {
  const stream = new PassThrough()
  reply
    .code(200)
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(stream)
  // Node sends the headers with the first bytes; a comment line gets them to the client before the model answers.
  stream.write(': stream open\n\n')
  return stream
}

/**
 * A signal that aborts when the client's connection closes before this response has finished. (The response's own
 * `close` event cannot tell: Fastify ends a streamed payload when the client goes away.)
 */
export function clientGoneSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  const socket = request.raw.socket
  const abort = () => controller.abort()
  socket.once('close', abort)
  reply.raw.once('finish', () => socket.off('close', abort))
  return controller.signal
}
