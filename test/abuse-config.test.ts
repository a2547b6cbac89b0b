import t, { type Test } from 'tap'
import { loadConfig } from '../src/config.js'

const SECRET = 'a-jwt-secret-of-at-least-32-bytes!'

function configWith(env: Record<string, string>) {
  return loadConfig({ JWT_SECRET: SECRET, ...env })
}

function assertRefusedNaming(t: Test, env: Record<string, string>, variable: string) {
  t.throws(() => configWith(env), {
    name: 'ConfigError',
    message: new RegExp(`^Invalid environment variable ${variable}=`)
  })
}

t.test('RATE_LIMIT=off turns every rate limit off', async (t) => {
  t.equal(configWith({ RATE_LIMIT: 'off' }).rateLimit.enabled, false)
  t.equal(configWith({ RATE_LIMIT: 'on' }).rateLimit.enabled, true)
})

t.test('each rate limit and its window can be set', async (t) => {
  const config = configWith({
    RATE_LIMIT_LOGIN_FAILURES: '3',
    RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS: '30',
    RATE_LIMIT_LOGIN_WINDOW: '2s',
    RATE_LIMIT_REGISTRATIONS: '5',
    RATE_LIMIT_REGISTRATION_WINDOW: '1d',
    RATE_LIMIT_CHATS: '7',
    RATE_LIMIT_CHAT_WINDOW: '30s'
  })
  t.same(config.rateLimit, {
    enabled: true,
    failedLogins: { perUsernameAndAddress: 3, perAddress: 30, windowMs: 2000 },
    registrations: { perAddress: 5, windowMs: 86_400_000 },
    chats: { perUser: 7, windowMs: 30_000 }
  })
})

t.test('TRUST_PROXY takes true, false or a list of addresses, CIDR ranges and named ranges', async (t) => {
  t.equal(configWith({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(configWith({ TRUST_PROXY: 'false' }).trustProxy, false)
  t.same(configWith({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1,fd00::/8,loopback' }).trustProxy, [
    '10.0.0.1',
    '192.168.0.0/16',
    '::1',
    'fd00::/8',
    'loopback'
  ])
})

t.test('CORS_ORIGINS is a comma-separated list of origins', async (t) => {
  t.same(configWith({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins, [
    'https://app.example.com',
    'http://localhost:5173'
  ])
})

const badValues = [
  ['RATE_LIMIT', 'maybe'],
  ['RATE_LIMIT_LOGIN_FAILURES', '0'],
  ['RATE_LIMIT_LOGIN_FAILURES_PER_ADDRESS', '1.5'],
  ['RATE_LIMIT_LOGIN_WINDOW', '15'],
  ['RATE_LIMIT_REGISTRATIONS', '-1'],
  ['RATE_LIMIT_CHAT_WINDOW', '0s'],
  ['TRUST_PROXY', '2'],
  ['TRUST_PROXY', 'proxy.example.com'],
  ['TRUST_PROXY', '10.0.0.0/33'],
  ['TRUST_PROXY', '10.0.0.0/8/8'],
  ['TRUST_PROXY', '10.0.0.1,'],
  ['CORS_ORIGINS', 'app.example.com'],
  ['CORS_ORIGINS', 'https://app.example.com/'],
  ['CORS_ORIGINS', 'https://App.example.com'],
  ['CORS_ORIGINS', 'https://app.example.com:443'],
  ['CORS_ORIGINS', 'ftp://files.example.com']
] as const

for (const [variable, value] of badValues) {
  t.test(`${variable}=${value} is refused with a ConfigError naming ${variable}`, async (t) => {
    assertRefusedNaming(t, { [variable]: value }, variable)
  })
}

t.test('a hop count for TRUST_PROXY is refused with the reason', async (t) => {
  t.throws(() => configWith({ TRUST_PROXY: '1' }), { message: /hop count cannot tell a proxy from a client/ })
})
