import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'
import { singleModelCatalog } from '../src/pricing/models.js'
import { describeDatabase } from '../src/db/database-config.js'
import { withJwtSecret } from '../src/jwt-secret.js'
import { scratchDirectory } from './scratch-directory.js'

/** Passing a secret keeps loadConfig from writing a secret file next to the default database path in the repository. */
const SECRET = 'a-jwt-secret-of-at-least-32-bytes!'

/** Asserts that loadConfig refuses the environment with a ConfigError whose message starts with the variable's name. */
function assertRefusedNaming(t: Test, env: Record<string, string>, variable: string) {
  let config
  try {
    config = loadConfig(env)
  } catch (error) {
    t.type(error, ConfigError)
    t.match(error, { message: new RegExp(`^Invalid environment variable ${variable}\\b`) })
    return
  }
  t.fail(`expected a ConfigError naming ${variable}, got a config: ${JSON.stringify(config)}`)
}

t.test('an environment with only a JWT secret gets the documented defaults', async (t) => {
  t.same(loadConfig({ JWT_SECRET: SECRET }), {
    production: false,
    port: 3000,
    host: '127.0.0.1',
    database: { kind: 'sqlite', path: './data/ai-chat.sqlite', synchronous: 'normal' },
    jwtSecret: SECRET,
    accessTokenTtlSeconds: 300,
    refreshTokenTtlSeconds: 86400,
    sessionMaxAgeSeconds: 30 * 86400,
    initialTokens: 4000,
    chatCost: 100,
    chatLeaseMs: 30_000,
    argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
    argon2Queue: { maxWaiting: 32, waitTimeoutMs: 2000, perAccount: 2 },
    ai: {
      provider: 'offline',
      baseUrl: undefined,
      apiKey: undefined,
      model: undefined,
      systemPrompt: 'You are a helpful assistant.',
      timeoutMs: 30000,
      maxOutputTokens: undefined,
      minOutputTokens: 16,
      contextMessages: 20,
      maxConcurrentPerUser: 4
    },
    models: singleModelCatalog({ id: 'offline', request: 100, maxOutputTokens: undefined }),
    modelsFile: undefined,
    logLevel: 'info',
    logFormat: 'auto',
    metricsEnabled: true,
    metricsToken: undefined,
    shutdownTimeoutMs: 10_000,
    connections: { requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, maxConnections: 10_000 },
    limits: { kind: 'memory' },
    rateLimit: {
      enabled: true,
      failedLogins: { perUsernameAndAddress: 10, perAddress: 100, windowMs: 900_000 },
      registrations: { perAddress: 20, windowMs: 3_600_000 },
      chats: { perUser: 60, windowMs: 60_000 }
    },
    trustProxy: false,
    corsOrigins: []
  })
})

t.test('empty variables count as unset and take their defaults', async (t) => {
  const blank = Object.fromEntries(
    ['NODE_ENV', 'PORT', 'HOST', 'DATABASE_URL', 'CHAT_COST', 'ACCESS_TOKEN_TTL', 'LOG_LEVEL'].map((name) => [name, ''])
  )
  t.same(loadConfig({ JWT_SECRET: SECRET, ...blank }), loadConfig({ JWT_SECRET: SECRET }))
})

const badValues = [
  ['PORT', 'abc'],
  ['PORT', '70000'],
  ['CHAT_COST', '0'],
  ['CHAT_COST', '-5'],
  ['INITIAL_TOKENS', '1.5'],
  ['PORT', '3000.9'],
  ['PORT', '1e3'],
  ['PORT', '0x50'],
  ['ACCESS_TOKEN_TTL', '5'],
  ['ACCESS_TOKEN_TTL', '0s'],
  ['LOG_LEVEL', 'loud'],
  ['SQLITE_SYNCHRONOUS', 'off'],
  ['LOG_FORMAT', 'xml'],
  ['METRICS_ENABLED', 'yes'],
  ['TRUST_PROXY', '10.0.0.1; rm -rf'],
  ['SHUTDOWN_TIMEOUT', '10'],
  ['SESSION_MAX_AGE', '0d'],
  ['ARGON2_QUEUE_WAIT', '500ms'],
  ['CHAT_LEASE', '0s'],
  ['ARGON2_QUEUE_SIZE', '-1'],
  ['ARGON2_PER_ACCOUNT', '0'],
  ['REQUEST_TIMEOUT', '0s'],
  ['KEEP_ALIVE_TIMEOUT', '500ms'],
  ['MAX_CONNECTIONS', '0'],
  ['REDIS_URL', '127.0.0.1:6379']
] as const

for (const [variable, value] of badValues) {
  t.test(`${variable}=${value} is refused with a ConfigError naming ${variable}`, async (t) => {
    assertRefusedNaming(t, { JWT_SECRET: SECRET, [variable]: value }, variable)
  })
}

t.test('durations in seconds, minutes, hours and days are converted to seconds', async (t) => {
  const seconds = { '30s': 30, '5m': 300, '12h': 43_200, '7d': 604_800 }
  for (const [duration, expected] of Object.entries(seconds)) {
    const config = loadConfig({
      JWT_SECRET: SECRET,
      ACCESS_TOKEN_TTL: duration,
      REFRESH_TOKEN_TTL: duration,
      SESSION_MAX_AGE: duration,
      ARGON2_QUEUE_WAIT: duration
    })
    t.equal(config.accessTokenTtlSeconds, expected, `ACCESS_TOKEN_TTL=${duration}`)
    t.equal(config.refreshTokenTtlSeconds, expected, `REFRESH_TOKEN_TTL=${duration}`)
    t.equal(config.sessionMaxAgeSeconds, expected, `SESSION_MAX_AGE=${duration}`)
    t.equal(config.argon2Queue.waitTimeoutMs, expected * 1000, `ARGON2_QUEUE_WAIT=${duration}`)
  }
})

t.test('METRICS_ENABLED accepts true, false, 1 and 0', async (t) => {
  const values = { true: true, false: false, '1': true, '0': false }
  for (const [value, expected] of Object.entries(values)) {
    t.equal(loadConfig({ JWT_SECRET: SECRET, METRICS_ENABLED: value }).metricsEnabled, expected, value)
  }
})

t.test('TRUST_PROXY is a switch or a list of proxy addresses and ranges', async (t) => {
  const values = {
    true: true,
    false: false,
    '127.0.0.1': ['127.0.0.1'],
    'loopback, 10.0.0.0/8,::1': ['loopback', '10.0.0.0/8', '::1']
  }
  for (const [value, expected] of Object.entries(values)) {
    t.same(loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: value }).trustProxy, expected, value)
  }
})

t.test('REDIS_URL moves the limits to Redis, under REDIS_KEY_PREFIX (ai-chat: by default)', async (t) => {
  t.same(loadConfig({ JWT_SECRET: SECRET, REDIS_URL: 'redis://cache:6379/2' }).limits, {
    kind: 'redis',
    url: 'redis://cache:6379/2',
    keyPrefix: 'ai-chat:'
  })
  const env = { JWT_SECRET: SECRET, REDIS_URL: 'rediss://cache', REDIS_KEY_PREFIX: 'staging:' }
  t.same(loadConfig(env).limits, { kind: 'redis', url: 'rediss://cache', keyPrefix: 'staging:' })
})

t.test('SHUTDOWN_TIMEOUT is converted to milliseconds', async (t) => {
  t.equal(loadConfig({ JWT_SECRET: SECRET, SHUTDOWN_TIMEOUT: '30s' }).shutdownTimeoutMs, 30_000)
})

t.test('REQUEST_TIMEOUT and KEEP_ALIVE_TIMEOUT are converted to milliseconds, MAX_CONNECTIONS kept', async (t) => {
  const env = { JWT_SECRET: SECRET, REQUEST_TIMEOUT: '2m', KEEP_ALIVE_TIMEOUT: '5s', MAX_CONNECTIONS: '20' }
  t.same(loadConfig(env).connections, { requestTimeoutMs: 120_000, keepAliveTimeoutMs: 5000, maxConnections: 20 })
})

const productionSecrets: { case: string; env: Record<string, string> }[] = [
  { case: 'without a JWT secret', env: {} },
  { case: 'with a 31-byte JWT secret', env: { JWT_SECRET: 's'.repeat(31) } }
]

for (const { case: name, env } of productionSecrets) {
  t.test(`production ${name} is refused with a ConfigError naming JWT_SECRET`, async (t) => {
    assertRefusedNaming(t, { NODE_ENV: 'production', DATABASE_URL: ':memory:', ...env }, 'JWT_SECRET')
  })
}

t.test('production accepts a 32-byte JWT secret', async (t) => {
  const secret = 's'.repeat(32)
  const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: ':memory:', JWT_SECRET: secret })
  t.equal(config.production, true)
  t.equal(config.jwtSecret, secret)
})

t.test('loadConfig is pure: without JWT_SECRET it leaves the secret unset and writes no file', async (t) => {
  const directory = scratchDirectory(t)
  const config = loadConfig({ DATABASE_URL: join(directory, 'data', 'ai-chat.sqlite') })
  t.equal(config.jwtSecret, undefined)
  t.notOk(existsSync(join(directory, 'data')), 'no folder was created')
})

t.test('outside production a missing JWT secret is generated into a 0600 file beside the database', async (t) => {
  const directory = scratchDirectory(t)
  const config = withJwtSecret(loadConfig({ DATABASE_URL: join(directory, 'ai-chat.sqlite') }))
  const secretFile = join(directory, 'jwt-secret')
  t.equal(statSync(secretFile).mode & 0o777, 0o600, 'only the owner can read the secret')
  t.equal(readFileSync(secretFile, 'utf8').trim(), config.jwtSecret)
  t.ok(Buffer.byteLength(config.jwtSecret!) >= 32, 'the generated secret is at least 32 bytes')
})

t.test('a restart reads the same generated JWT secret, so sessions stay valid', async (t) => {
  const env = { DATABASE_URL: join(scratchDirectory(t), 'ai-chat.sqlite') }
  const first = withJwtSecret(loadConfig(env))
  const second = withJwtSecret(loadConfig(env))
  t.equal(second.jwtSecret, first.jwtSecret)
})

t.test('an in-memory database gets a fresh random JWT secret and no secret file', async (t) => {
  const first = withJwtSecret(loadConfig({ DATABASE_URL: ':memory:' }))
  const second = withJwtSecret(loadConfig({ DATABASE_URL: ':memory:' }))
  t.ok(Buffer.byteLength(first.jwtSecret!) >= 32, 'the secret is at least 32 bytes')
  t.not(second.jwtSecret, first.jwtSecret)
  t.notOk(existsSync(join(process.cwd(), 'jwt-secret')), 'no jwt-secret file in the working directory')
})

t.test('DATABASE_URL with a scheme this build has no store for is refused, naming the variable', async (t) => {
  assertRefusedNaming(t, { DATABASE_URL: 'mysql://db.example.com/chat' }, 'DATABASE_URL')
})

for (const scheme of ['postgres', 'postgresql']) {
  t.test(`DATABASE_URL=${scheme}:// selects the PostgreSQL store, with a pool of DATABASE_POOL_SIZE`, async (t) => {
    const url = `${scheme}://chat:s3cret@db.example.com:5432/chat`
    t.same(loadConfig({ DATABASE_URL: url, JWT_SECRET: SECRET }).database, { kind: 'postgres', url, poolSize: 10 })
    t.same(loadConfig({ DATABASE_URL: url, JWT_SECRET: SECRET, DATABASE_POOL_SIZE: '25' }).database, {
      kind: 'postgres',
      url,
      poolSize: 25
    })
    t.equal(
      describeDatabase(loadConfig({ DATABASE_URL: url, JWT_SECRET: SECRET }).database),
      `${scheme}://chat:***@db.example.com:5432/chat`,
      'messages never show the password'
    )
  })
}

t.test('DATABASE_POOL_SIZE below 1 is refused, naming the variable', async (t) => {
  assertRefusedNaming(
    t,
    { DATABASE_URL: 'postgres://db/chat', DATABASE_POOL_SIZE: '0', JWT_SECRET: SECRET },
    'DATABASE_POOL_SIZE'
  )
})

t.test("a PostgreSQL database needs JWT_SECRET: instances must verify each other's tokens", async (t) => {
  t.throws(() => withJwtSecret(loadConfig({ DATABASE_URL: 'postgres://db/chat' })), {
    message: /^Invalid environment variable JWT_SECRET\b/
  })
})

t.test('an explicit JWT_SECRET is kept as it is', async (t) => {
  const directory = scratchDirectory(t)
  const config = withJwtSecret(
    loadConfig({ DATABASE_URL: join(directory, 'ai-chat.sqlite'), JWT_SECRET: 'x'.repeat(40) })
  )
  t.equal(config.jwtSecret, 'x'.repeat(40))
  t.notOk(existsSync(join(directory, 'jwt-secret')), 'nothing was generated')
})

for (const missing of ['AI_BASE_URL', 'AI_MODEL']) {
  t.test(`AI_PROVIDER=openai without ${missing} is refused with a ConfigError naming it`, async (t) => {
    const env = { AI_PROVIDER: 'openai', AI_BASE_URL: 'http://127.0.0.1:11434/v1', AI_MODEL: 'llama3.2', [missing]: '' }
    assertRefusedNaming(t, { JWT_SECRET: SECRET, ...env }, missing)
  })
}

t.test('AI_PROVIDER=openai with a base URL and a model is accepted', async (t) => {
  const config = loadConfig({
    JWT_SECRET: SECRET,
    AI_PROVIDER: 'openai',
    AI_BASE_URL: 'http://127.0.0.1:11434/v1',
    AI_MODEL: 'llama3.2',
    AI_API_KEY: 'sk-test'
  })
  t.match(config.ai, { provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2', apiKey: 'sk-test' })
})
