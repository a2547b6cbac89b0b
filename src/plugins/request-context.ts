import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ShuttingDownError } from '../problems/errors.js'

/**
 * Every response carries its request id in `X-Request-Id` (the caller's, when it sent an acceptable one), and once the
 * app starts closing, requests that arrive on open connections get a 503 problem while those in flight finish.
 */
export default fp(
  async function requestContext(app: FastifyInstance) {
    let closing = false
    app.addHook('preClose', async () => {
      closing = true
    })
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id)
      if (!closing) return done()
      reply.header('connection', 'close')
      done(new ShuttingDownError())
    })
  },
  { name: 'request-context' }
)
