import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyLoggerOptions } from 'fastify'
import type { AiProvider } from './ai/provider.js'
import { createProvider } from './ai/create-provider.js'
import type { Config } from './config.js'
import type { Store } from './db/store.js'
import { createLimits } from './limits/create-limits.js'
import { failOpen, reportUnavailable } from './limits/fail-open.js'
import type { Limits } from './limits/limits.js'
import { loggerOptions, requestIdOf } from './logger.js'
import accountRoutes from './modules/account/routes.js'
import authRoutes from './modules/auth/routes.js'
import keyRoutes from './modules/keys/routes.js'
import { authenticateApiKey, KEY_SECRET_PREFIX, keyHashKeyFrom } from './modules/keys/service.js'
import modelRoutes from './modules/models/routes.js'
import chatRoutes from './modules/chat/routes.js'
import gatewayRoutes, { GATEWAY_PREFIX } from './modules/gateway/routes.js'
import { sendProblemAsOpenAiError } from './modules/gateway/openai-errors.js'
import { OpenAiErrorSchema } from './problems/openai-error-schema.js'
import chatEngine from './plugins/chat-engine.js'
import conversationRoutes from './modules/conversations/routes.js'
import sessionRoutes from './modules/sessions/routes.js'
import { ProblemSchema } from './problems/schema.js'
import opsRoutes from './modules/ops/routes.js'
import auth from './plugins/auth.js'
import { answerClientError } from './plugins/client-errors.js'
import errors from './plugins/errors.js'
import metrics from './plugins/metrics.js'
import { trackRouteMethods } from './plugins/method-not-allowed.js'
import openapi from './plugins/openapi.js'
import pendingSweep from './plugins/pending-sweep.js'
import rateLimits from './plugins/rate-limits.js'
import requestContext from './plugins/request-context.js'
import securityHeaders from './plugins/security-headers.js'
import store from './plugins/store.js'
import { installValidators } from './plugins/validation.js'
import { sharedSerializers } from './plugins/shared-serializers.js'
import adminRoutes from './modules/admin/routes.js'
import transactionRoutes from './modules/transactions/routes.js'
import usageRoutes from './modules/usage/routes.js'
import requireAdmin from './plugins/require-admin.js'

const BODY_LIMIT_BYTES = 128 * 1024
/** Node looks for requests past their deadline every 30 s by default; a stalled upload would outlive REQUEST_TIMEOUT. */
const DEADLINE_CHECK_INTERVAL_MS = 1000
/** While the limits cannot be reached, one warn line per this long, however many requests fail open. */
const LIMITS_WARNING_INTERVAL_MS = 30_000

export interface AppOverrides {
  /** Replaces the configured AI provider (tests use this to script failures). */
  provider?: AiProvider
  /** Sends log lines here instead of stdout (tests read them). */
  logStream?: FastifyLoggerOptions['stream']
  /** Wraps the store the app opens (tests use this to make a store method fail). */
  store?: (store: Store) => Store
  /** Limits the caller made and closes, to share them between apps as instances share theirs (tests). */
  limits?: Limits
}

/** Builds the application without listening: the server entry point, the tests and the OpenAPI writer share it. */
export async function buildApp(config: Config, overrides: AppOverrides = {}) {
  const app = Fastify({
    logger: loggerOptions(config, overrides.logStream),
    genReqId: requestIdOf,
    trustProxy: config.trustProxy,
    // request-context answers with a problem+json 503 instead of Fastify's plain one while the app closes.
    return503OnClosing: false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    // Receiving a request is timed (headers within min(60 s, this) as well); the answer is not, AI_TIMEOUT_MS bounds it.
    requestTimeout: config.connections.requestTimeoutMs,
    keepAliveTimeout: config.connections.keepAliveTimeoutMs,
    clientErrorHandler: answerClientError,
    schemaController: { compilersFactory: { buildSerializer: sharedSerializers } },
    http: {
      requestTimeout: config.connections.requestTimeoutMs,
      connectionsCheckingInterval: DEADLINE_CHECK_INTERVAL_MS
    }
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.server.maxConnections = config.connections.maxConnections

  // Fastify parses text/plain by default; this API speaks JSON only, so anything else is 415.
  app.removeContentTypeParser('text/plain')
  installValidators(app)
  const addMethodNotAllowedRoutes = trackRouteMethods(app, { [`${GATEWAY_PREFIX}/`]: sendProblemAsOpenAiError })
  app.addSchema(ProblemSchema)
  app.addSchema(OpenAiErrorSchema)
  const ownLimits = overrides.limits ?? (await createLimits(config.limits))
  if (!overrides.limits) app.addHook('onClose', () => ownLimits.close())
  // The metrics plugin, registered below, decorates the recorder before any request can count.
  const limits = failOpen(
    ownLimits,
    reportUnavailable({
      count: () => app.limitsRecorder.limitsUnavailable(),
      warn: (details, message) => app.log.warn(details, message),
      intervalMs: LIMITS_WARNING_INTERVAL_MS
    })
  )
  // Abuse protection; the rate limits read each route's `rateLimitPolicy` as it is added, so they precede the routes.
  await app.register(securityHeaders, { corsOrigins: config.corsOrigins })
  await app.register(rateLimits, { config: config.rateLimit, limits })
  await app.register(errors)
  await app.register(requestContext)
  await app.register(metrics, { enabled: config.metricsEnabled })
  await app.register(openapi)
  await app.register(store, { config, decorate: overrides.store })
  await app.register(auth, { config })
  await app.register(pendingSweep, { config })
  await app.register(requireAdmin)

  const provider = overrides.provider ?? createProvider(config.ai)
  if (!overrides.provider) app.addHook('onClose', async () => provider.close?.())
  await app.register(opsRoutes, { metricsToken: config.metricsToken, limits })
  await app.register(authRoutes, { config })
  await app.register(sessionRoutes)
  await app.register(accountRoutes)
  await app.register(modelRoutes, { models: config.models })
  await app.register(chatEngine, {
    provider,
    models: config.models,
    chatLeaseMs: config.chatLeaseMs,
    ai: config.ai,
    limits
  })
  // The auth plugin, registered above, refuses to start without a JWT secret.
  const hashKey = keyHashKeyFrom(config.jwtSecret!)
  await app.register(chatRoutes)
  await app.register(gatewayRoutes, {
    prefix: GATEWAY_PREFIX,
    keyPrefix: KEY_SECRET_PREFIX,
    findKeyHolder: (secret, request) => authenticateApiKey(app.store, hashKey, secret, Date.now(), request.log)
  })
  await app.register(conversationRoutes)
  await app.register(transactionRoutes)
  await app.register(usageRoutes)
  await app.register(keyRoutes, { models: config.models, hashKey })
  await app.register(adminRoutes, { limits, failedLogins: config.rateLimit.failedLogins })
  addMethodNotAllowedRoutes()
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
