import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import { problem, sendProblem } from '../problems/render.js'
import type { Problem } from '../problems/schema.js'

/** How the routes under a path prefix answer a problem (`/v1` answers in OpenAI's shape). */
export type ProblemSenders = Record<string, (request: FastifyRequest, reply: FastifyReply, body: Problem) => unknown>

const CHECKED_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/**
 * Fastify answers a known path with an unknown method as 404. This records every route as it is added and returns
 * a function that, once all routes are in, adds a hidden route per path answering the other methods with 405 and
 * an `Allow` header.
 */
export function trackRouteMethods(app: FastifyInstance, senders: ProblemSenders = {}): () => void {
  const methodsByUrl = new Map<string, Set<string>>()
  let finished = false
  app.addHook('onRoute', (route) => {
    if (finished) return
    const methods = methodsByUrl.get(route.url) ?? new Set<string>()
    for (const method of [route.method].flat()) methods.add(method)
    if (methods.has('GET')) methods.add('HEAD')
    methodsByUrl.set(route.url, methods)
  })

  return function addMethodNotAllowedRoutes() {
    finished = true
    for (const [url, allowed] of methodsByUrl) {
      const missing = CHECKED_METHODS.filter((method) => !allowed.has(method))
      if (missing.length === 0 || url.includes('*')) continue
      const allow = [...allowed].sort().join(', ')
      const prefix = Object.keys(senders).find((candidate) => url.startsWith(candidate))
      const send = prefix === undefined ? sendProblem : senders[prefix]!
      app.route({
        method: missing,
        url,
        schema: { hide: true },
        handler: async (request, reply) =>
          send(
            request,
            reply.header('Allow', allow),
            problem(405, 'method_not_allowed', `${request.method} is not allowed here; use ${allow}`)
          )
      })
    }
  }
}
