import type { FastifyReply, FastifyRequest } from 'fastify'
import { CallTiming } from '../chat/service.js'

/** An `onRequest` hook that authenticates the request as `authenticate` does, starting its `CallTiming` with it. */
export function timedAuthentication(authenticate: (request: FastifyRequest) => Promise<void>) {
  return async function timedAuthenticate(request: FastifyRequest) {
    const timing = new CallTiming()
    request.callTiming = timing
    await timing.measure('auth', () => authenticate(request))
  }
}

/** Sets `Server-Timing` for what the call has measured so far, unless the headers are gone already. */
export function sendServerTiming(request: FastifyRequest, reply: FastifyReply) {
  if (request.callTiming && !reply.sent) reply.header('server-timing', request.callTiming.header())
}
