import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createRequire } from 'node:module'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

/** Builds the OpenAPI 3.1 document from the route schemas and serves it at /openapi.json and /docs. */
export default fp(
  async function openapi(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'ai-chat-api',
          version,
          description:
            'Backend for AI chat products with per-user token metering. Errors are `application/problem+json` (RFC 9457).',
          license: { name: 'MIT', identifier: 'MIT' }
        },
        tags: [
          { name: 'auth', description: 'Registration, login and JWT refresh' },
          { name: 'chat', description: 'Chat with the AI and read your history' },
          { name: 'conversations', description: 'Your conversations with the AI' },
          { name: 'account', description: 'Your token balance and its history' },
          { name: 'admin', description: 'Account administration: users, balances, deactivation (administrators only)' }
        ],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
        }
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => String(json.$id ?? `def-${index}`) }
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' }
)
