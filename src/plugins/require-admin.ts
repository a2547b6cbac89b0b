import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AdminRequiredError } from '../problems/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** An `onRequest` hook for administrators' routes; it goes after `authenticate`, which reads the admin flag. */
    requireAdmin: (request: FastifyRequest) => Promise<void>
  }
}

export default fp(
  async function requireAdmin(app: FastifyInstance) {
    app.decorate('requireAdmin', async function requireAdmin(request: FastifyRequest) {
      if (!request.user.isAdmin) throw new AdminRequiredError()
    })
  },
  { name: 'require-admin', dependencies: ['auth'] }
)
