import type { FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { problem } from '../problems/render.js'

type ClientProblem = [status: number, code: string, detail: string]

/** What Node reports on a connection whose request it could not read; anything not listed is malformed HTTP. */
const CLIENT_PROBLEMS: Record<string, ClientProblem> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request was not received within the time allowed'],
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are too large']
}
const MALFORMED_REQUEST: ClientProblem = [400, 'malformed_request', 'The request is not valid HTTP/1.1']

/**
 * Fastify's `clientErrorHandler`: a request Node could not read (too slow, a broken chunk, oversized headers) never
 * reaches a route, so it is answered here, as problem+json like every other error, and its connection is closed. The
 * error is logged at trace, as Fastify does, and without the bytes the client sent (see `serializeError`).
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  this.log.trace({ err: error }, 'client error')
  const [status, code, detail] = CLIENT_PROBLEMS[error.code ?? ''] ?? MALFORMED_REQUEST
  if (socket.writable) {
    const body = JSON.stringify(problem(status, code, detail))
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
    )
  }
  socket.destroy(error)
}
