import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import type { AiProvider } from './ai/provider.js'
import { createProvider } from './ai/create-provider.js'
import type { Config } from './config.js'
import accountRoutes from './modules/account/routes.js'
import authRoutes from './modules/auth/routes.js'
import chatRoutes from './modules/chat/routes.js'
import conversationRoutes from './modules/conversations/routes.js'
import { ProblemSchema } from './modules/common/schemas.js'
import auth from './plugins/auth.js'
import errors from './plugins/errors.js'
import { trackRouteMethods } from './plugins/method-not-allowed.js'
import openapi from './plugins/openapi.js'
import pendingSweep from './plugins/pending-sweep.js'
import store from './plugins/store.js'
import { installValidators } from './plugins/validation.js'
import adminRoutes from './modules/admin/routes.js'
import transactionRoutes from './modules/transactions/routes.js'
import requireAdmin from './plugins/require-admin.js'

const BODY_LIMIT_BYTES = 128 * 1024

export interface AppOverrides {
  /** Replaces the configured AI provider (tests use this to script failures). */
  provider?: AiProvider
}

/** Builds the application without listening: the server entry point, the tests and the OpenAPI writer share it. */
export async function buildApp(config: Config, overrides: AppOverrides = {}) {
  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Fastify parses text/plain by default; this API speaks JSON only, so anything else is 415.
  app.removeContentTypeParser('text/plain')
  installValidators(app)
  const addMethodNotAllowedRoutes = trackRouteMethods(app)
  app.addSchema(ProblemSchema)
  await app.register(errors)
  await app.register(openapi)
  await app.register(store, { config })
  await app.register(auth, { config })
  await app.register(pendingSweep, { config })
  await app.register(requireAdmin)

  const provider = overrides.provider ?? createProvider(config.ai)
  await app.register(authRoutes, { config })
  await app.register(accountRoutes)
  await app.register(chatRoutes, { provider, chatCost: config.chatCost, ai: config.ai })
  await app.register(conversationRoutes)
  await app.register(transactionRoutes)
  await app.register(adminRoutes)
  addMethodNotAllowedRoutes()
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
