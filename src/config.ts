import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ConfigError } from './config-error.js'
import { parseDatabase, type DatabaseConfig } from './db/database-config.js'
import { parseDuration } from './duration.js'
import type { LimitsConfig } from './limits/limits-config.js'
import { parseCorsOrigins, parseTrustProxy, type TrustProxy } from './abuse-config.js'
import { loadModelsFile, singleModelCatalog, type ModelCatalog } from './pricing/models.js'

const Duration = (defaultValue: string) =>
  Type.String({ pattern: '^[1-9][0-9]*(s|m|h|d)$', default: defaultValue, description: 'e.g. 30s, 5m, 12h, 7d' })
const Count = (defaultValue: number, minimum = 0) =>
  Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, default: defaultValue })

export const EnvSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.String({ minLength: 1, default: './data/ai-chat.sqlite' }),
  SQLITE_SYNCHRONOUS: Type.Union([Type.Literal('normal'), Type.Literal('full')], { default: 'normal' }),
  DATABASE_POOL_SIZE: Count(10, 1),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  ACCESS_TOKEN_TTL: Duration('5m'),
  REFRESH_TOKEN_TTL: Duration('1d'),
  SESSION_MAX_AGE: Duration('30d'),
  INITIAL_TOKENS: Count(4000),
  CHAT_COST: Count(100, 1),
  CHAT_LEASE: Duration('30s'),
  MODELS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  MIN_OUTPUT_TOKENS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 16 }),
  ARGON2_MEMORY_KIB: Count(19456, 8),
  ARGON2_TIME_COST: Count(2, 1),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  ARGON2_QUEUE_SIZE: Count(32),
  ARGON2_QUEUE_WAIT: Duration('2s'),
  ARGON2_PER_ACCOUNT: Count(2, 1),
  AI_PROVIDER: Type.Union([Type.Literal('offline'), Type.Literal('openai')], { default: 'offline' }),
  AI_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  AI_API_KEY: Type.Optional(Type.String()),
  AI_MODEL: Type.Optional(Type.String({ minLength: 1 })),
  AI_SYSTEM_PROMPT: Type.String({ default: 'You are a helpful assistant.' }),
  AI_TIMEOUT_MS: Count(30000, 1),
  AI_MAX_OUTPUT_TOKENS: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  AI_CONTEXT_MESSAGES: Type.Integer({ minimum: 0, maximum: 1000, default: 20 }),
  AI_MAX_CONCURRENT_PER_USER: Type.Integer({ minimum: 1, maximum: 1000, default: 4 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' }
  ),
  LOG_FORMAT: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], { default: 'auto' }),
  METRICS_ENABLED: Type.Boolean({ default: true }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  SHUTDOWN_TIMEOUT: Duration('10s'),
  REQUEST_TIMEOUT: Duration('30s'),
  KEEP_ALIVE_TIMEOUT: Duration('72s'),
  MAX_CONNECTIONS: Count(10000, 1),
  // Abuse protection: rate limits, the proxies to trust for the client address, and CORS.
  RATE_LIMIT: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  RATE_LIMIT_LOGIN_FAILURES: Count(10, 1),
  RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: Count(100, 1),
  RATE_LIMIT_LOGIN_WINDOW: Duration('15m'),
  RATE_LIMIT_REGISTRATIONS: Count(20, 1),
  RATE_LIMIT_REGISTRATION_WINDOW: Duration('1h'),
  RATE_LIMIT_CHATS: Count(60, 1),
  RATE_LIMIT_CHAT_WINDOW: Duration('1m'),
  TRUST_PROXY: Type.String({ minLength: 1, default: 'false' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'ai-chat:' }),
  CORS_ORIGINS: Type.String({ default: '' })
})

export type Env = Static<typeof EnvSchema>

export interface Config {
  production: boolean
  port: number
  host: string
  database: DatabaseConfig
  /** Unset means: generate one beside the database and keep it (`jwt-secret.ts`, called by `server.ts`). */
  jwtSecret: string | undefined
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  /** A login's absolute lifetime: no refresh token of it outlives its start by more. */
  sessionMaxAgeSeconds: number
  initialTokens: number
  chatCost: number
  /**
   * How long a pending chat stays this instance's without a renewal (renewed every third of it while the reply runs);
   * past it, any instance on the database refunds the chat.
   */
  chatLeaseMs: number
  argon2: { memoryCost: number; timeCost: number; parallelism: number }
  /** Hashes that may wait for a turn, how long each may wait, and how many one account may have in flight. */
  argon2Queue: { maxWaiting: number; waitTimeoutMs: number; perAccount: number }
  ai: AiConfig
  /**
   * The models users may pick and their prices: one model priced `CHAT_COST` a message without `MODELS_FILE`;
   * `server.ts` replaces it with the file's models (`resolveModels`).
   */
  models: ModelCatalog
  modelsFile: string | undefined
  logLevel: string
  /** `auto` prints pretty logs when stdout is a terminal and JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty'
  metricsEnabled: boolean
  /** When set, `GET /metrics` wants it as a bearer token. */
  metricsToken: string | undefined
  shutdownTimeoutMs: number
  connections: ConnectionLimits
  /** Where the rate limits and the cap on replies in flight are counted. */
  limits: LimitsConfig
  rateLimit: RateLimitConfig
  /** Passed to Fastify as `trustProxy`: which X-Forwarded-For hops to believe for the client address. */
  trustProxy: TrustProxy
  /** Origins allowed to call the API from a browser; empty means no CORS headers at all. */
  corsOrigins: string[]
}

export interface ConnectionLimits {
  /** How long a client may take to send one whole request, headers and body; the answer is not timed. */
  requestTimeoutMs: number
  /** How long an idle kept-alive connection stays open between two requests. */
  keepAliveTimeoutMs: number
  maxConnections: number
}

/** The rate limits' thresholds; what each counts is in `plugins/rate-limits.ts`. */
export interface RateLimitConfig {
  enabled: boolean
  failedLogins: { perUsernameAndAddress: number; perAddress: number; windowMs: number }
  registrations: { perAddress: number; windowMs: number }
  chats: { perUser: number; windowMs: number }
}

export interface AiConfig {
  provider: 'offline' | 'openai'
  baseUrl: string | undefined
  apiKey: string | undefined
  model: string | undefined
  systemPrompt: string
  timeoutMs: number
  maxOutputTokens: number | undefined
  /** A hold the balance cannot cover lowers `max_tokens` to what it affords, but never below this. */
  minOutputTokens: number
  contextMessages: number
  maxConcurrentPerUser: number
}

export { ConfigError }

const MIN_PRODUCTION_SECRET_BYTES = 32

/** Validates the environment once; the first bad variable stops start-up with its name in the message. */
export function loadConfig(source: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  const known = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .filter((name) => source[name] !== undefined && source[name] !== '')
      .map((name) => [name, source[name]])
  )
  assertWholeNumbers(known)
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, known))
  const firstError = Value.Errors(EnvSchema, env).First()
  if (firstError) {
    const name = firstError.path.split('/')[1] ?? firstError.path
    throw new ConfigError(`Invalid environment variable ${name}=${JSON.stringify(source[name])}: ${firstError.message}`)
  }
  return toConfig(env as Env)
}

/** TypeBox converts integers with parseInt, which would read `1.5` as 1 and `0x50` as 0; only plain digits pass. */
function assertWholeNumbers(values: Record<string, string | undefined>) {
  for (const [name, value] of Object.entries(values)) {
    const schema = EnvSchema.properties[name as keyof Env]
    if (schema.type === 'integer' && !/^-?[0-9]+$/.test(value ?? '')) {
      throw new ConfigError(`Invalid environment variable ${name}=${JSON.stringify(value)}: Expected a whole number`)
    }
  }
}

function toConfig(env: Env): Config {
  const production = env.NODE_ENV === 'production'
  if (production && Buffer.byteLength(env.JWT_SECRET ?? '') < MIN_PRODUCTION_SECRET_BYTES) {
    throw new ConfigError(
      `Invalid environment variable JWT_SECRET: required with NODE_ENV=production, at least ${MIN_PRODUCTION_SECRET_BYTES} bytes`
    )
  }
  if (env.AI_PROVIDER === 'openai') {
    for (const name of env.MODELS_FILE ? (['AI_BASE_URL'] as const) : (['AI_BASE_URL', 'AI_MODEL'] as const)) {
      if (!env[name]) throw new ConfigError(`Invalid environment variable ${name}: required with AI_PROVIDER=openai`)
    }
  }
  return {
    production,
    port: env.PORT,
    host: env.HOST,
    database: parseVariable('DATABASE_URL', env.DATABASE_URL, (url) =>
      parseDatabase(url, { synchronous: env.SQLITE_SYNCHRONOUS, poolSize: env.DATABASE_POOL_SIZE })
    ),
    jwtSecret: env.JWT_SECRET,
    accessTokenTtlSeconds: parseDuration(env.ACCESS_TOKEN_TTL),
    refreshTokenTtlSeconds: parseDuration(env.REFRESH_TOKEN_TTL),
    sessionMaxAgeSeconds: parseDuration(env.SESSION_MAX_AGE),
    initialTokens: env.INITIAL_TOKENS,
    chatCost: env.CHAT_COST,
    chatLeaseMs: parseDuration(env.CHAT_LEASE) * 1000,
    argon2: {
      memoryCost: env.ARGON2_MEMORY_KIB,
      timeCost: env.ARGON2_TIME_COST,
      parallelism: env.ARGON2_PARALLELISM
    },
    argon2Queue: {
      maxWaiting: env.ARGON2_QUEUE_SIZE,
      waitTimeoutMs: parseDuration(env.ARGON2_QUEUE_WAIT) * 1000,
      perAccount: env.ARGON2_PER_ACCOUNT
    },
    ai: {
      provider: env.AI_PROVIDER,
      baseUrl: env.AI_BASE_URL,
      apiKey: env.AI_API_KEY,
      model: env.AI_MODEL,
      systemPrompt: env.AI_SYSTEM_PROMPT,
      timeoutMs: env.AI_TIMEOUT_MS,
      maxOutputTokens: env.AI_MAX_OUTPUT_TOKENS,
      minOutputTokens: env.MIN_OUTPUT_TOKENS,
      contextMessages: env.AI_CONTEXT_MESSAGES,
      maxConcurrentPerUser: env.AI_MAX_CONCURRENT_PER_USER
    },
    models: singleModelCatalog({
      id: env.AI_MODEL ?? 'offline',
      request: env.CHAT_COST,
      maxOutputTokens: env.AI_MAX_OUTPUT_TOKENS
    }),
    modelsFile: env.MODELS_FILE,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    metricsEnabled: env.METRICS_ENABLED,
    metricsToken: env.METRICS_TOKEN,
    shutdownTimeoutMs: parseDuration(env.SHUTDOWN_TIMEOUT) * 1000,
    connections: {
      requestTimeoutMs: parseDuration(env.REQUEST_TIMEOUT) * 1000,
      keepAliveTimeoutMs: parseDuration(env.KEEP_ALIVE_TIMEOUT) * 1000,
      maxConnections: env.MAX_CONNECTIONS
    },
    limits: env.REDIS_URL ? { kind: 'redis', url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : { kind: 'memory' },
    rateLimit: {
      enabled: env.RATE_LIMIT === 'on',
      failedLogins: {
        perUsernameAndAddress: env.RATE_LIMIT_LOGIN_FAILURES,
        perAddress: env.RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS,
        windowMs: parseDuration(env.RATE_LIMIT_LOGIN_WINDOW) * 1000
      },
      registrations: {
        perAddress: env.RATE_LIMIT_REGISTRATIONS,
        windowMs: parseDuration(env.RATE_LIMIT_REGISTRATION_WINDOW) * 1000
      },
      chats: { perUser: env.RATE_LIMIT_CHATS, windowMs: parseDuration(env.RATE_LIMIT_CHAT_WINDOW) * 1000 }
    },
    trustProxy: parseVariable('TRUST_PROXY', env.TRUST_PROXY, parseTrustProxy),
    corsOrigins: parseVariable('CORS_ORIGINS', env.CORS_ORIGINS, parseCorsOrigins)
  }
}

function parseVariable<T>(name: string, value: string, parse: (value: string) => T): T {
  try {
    return parse(value)
  } catch (error) {
    throw new ConfigError(`Invalid environment variable ${name}=${JSON.stringify(value)}: ${(error as Error).message}`)
  }
}

/** The configuration with the models of `MODELS_FILE`, when it names one; a bad file stops start-up (ConfigError). */
export function resolveModels(config: Config): Config {
  return config.modelsFile ? { ...config, models: loadModelsFile(config.modelsFile) } : config
}
