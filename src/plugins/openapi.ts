import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createRequire } from 'node:module'
import { withComposedExamples } from './openapi-examples.js'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

/** Every operation carries one of these; a Spectral rule (openapi/.spectral.yaml) rejects any other. */
const TAGS = [
  { name: 'auth', description: 'Registration, login and JWT refresh' },
  { name: 'chat', description: 'Chat with the AI and read your history' },
  { name: 'conversations', description: 'Multi-turn conversations with the AI' },
  { name: 'account', description: 'Your token balance and its history' },
  { name: 'keys', description: 'API keys for the OpenAI-compatible `/v1` API' },
  {
    name: 'openai',
    description:
      'The OpenAI-compatible API under `/v1` for OpenAI’s SDKs and the tools built on them: the model list and chat ' +
      'completions, metered from your token balance; errors in OpenAI’s shape, not problem+json'
  },
  { name: 'admin', description: 'Account administration: users, balances, deactivation (administrators only)' },
  { name: 'ops', description: 'Health, readiness and metrics for operators' }
]

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
            'Backend for AI chat products with per-user token metering. Errors are `application/problem+json` (RFC 9457), ' +
            'except under `/v1`, the OpenAI-compatible API, which answers them in OpenAI’s shape. ' +
            'Log in, then use **Authorize** with the `access` token to call the protected operations.',
          license: { name: 'MIT', identifier: 'MIT' }
        },
        servers: [{ url: '/', description: 'The server that serves this document' }],
        tags: TAGS,
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'The `access` token from `POST /api/login/`, `/api/token/` or `/api/token/refresh/`; on `/v1` also an ' +
                'API key (`sk-acp-…`) from `POST /api/keys/`'
            }
          }
        }
      },
      transform: ({ schema, url }) => ({ schema: withComposedExamples(schema), url }),
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => String(json.$id ?? `def-${index}`) }
    })
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      // BaseLayout: the standalone layout's top bar draws Swagger's logo, an SVG with an inline <style> that the policy
      // below refuses (a CSP violation in the console), and its box for loading other documents has no use here.
      uiConfig: { layout: 'BaseLayout', persistAuthorization: true, displayOperationId: true, tryItOutEnabled: true },
      // Swagger UI's own policy, with the hashes of any inline code it has, replaces the API's strict one on /docs.
      // Without upgrade-insecure-requests: over plain HTTP (a LAN, a local run) it would send the UI's scripts to https.
      staticCSP: true,
      transformStaticCSP: (policy) => policy.replace(/\s*upgrade-insecure-requests;?/, '')
    })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' }
)
