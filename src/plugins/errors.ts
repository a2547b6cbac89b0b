import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sendServerTiming } from '../modules/common/timed-authentication.js'
import { problem, problemFromError, sendProblem, type ProblemError } from '../problems/render.js'

/** The one place where errors become `application/problem+json` responses. */
export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler<ProblemError>((error, request, reply) => {
      const body = problemFromError(error)
      // Shedding load (server_busy) is the service protecting itself, not failing: a flood of refusals must not
      // write a stack trace each. The request's own completion line still records the 503.
      if (body.status >= 500 && body.code !== 'server_busy') request.log.error({ err: error }, 'request failed')
      if (body.status === 401) reply.header('WWW-Authenticate', 'Bearer')
      if (error.headers) reply.headers(error.headers)
      sendServerTiming(request, reply)
      return sendProblem(request, reply, body)
    })

    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, problem(404, 'not_found', `No route matches ${request.method} ${request.url}`))
    )
  },
  { name: 'errors' }
)
