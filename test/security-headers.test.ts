import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../src/app.js'
import { assertProblem, build, signUp } from './helper.js'

const API_POLICY = "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'"
const APP_ORIGIN = 'https://app.example.com'
const OTHER_ORIGIN = 'https://evil.example.net'

function assertSecurityHeaders(t: Test, response: LightMyRequestResponse) {
  t.match(response.headers, {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'strict-transport-security': /^max-age=\d+/,
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-permitted-cross-domain-policies': 'none'
  })
}

/** The directives of a Content-Security-Policy header, each with its list of sources. */
function directivesOf(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '')
  const directives = header
    .split(';')
    .map((directive) => directive.trim().split(/\s+/))
    .filter(([name]) => name)
  return new Map(directives.map(([name = '', ...sources]) => [name, sources]))
}

function listOf(response: LightMyRequestResponse, header: string): string[] {
  return String(response.headers[header] ?? '').split(/,\s*/)
}

function preflight(app: App, origin: string, url = '/api/chat_msg/', method = 'POST') {
  return app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type'
    }
  })
}

t.test('API answers, errors included, carry the security headers and a policy that loads nothing', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const answers = [
    await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers }),
    await app.inject({ method: 'GET', url: '/api/tokenbalance/' }),
    await app.inject({ method: 'GET', url: '/no/such/path' })
  ]
  t.same(
    answers.map((response) => response.statusCode),
    [200, 401, 404]
  )
  for (const response of answers) {
    assertSecurityHeaders(t, response)
    t.equal(response.headers['content-security-policy'], API_POLICY)
  }
})

t.test('/docs has the security headers and a policy under which Swagger UI runs its own scripts only', async (t) => {
  const { app } = await build(t)
  const page = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  assertSecurityHeaders(t, page)

  const policy = directivesOf(page)
  t.same(policy.get('default-src'), ["'self'"])
  t.same(policy.get('script-src'), ["'self'"], 'scripts from the service itself, nothing inline')
  t.same(policy.get('object-src'), ["'none'"])
  t.notOk(policy.has('upgrade-insecure-requests'), 'the UI loads over plain HTTP too')

  const scripts = [...page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
  t.ok(scripts.length > 0, 'the page loads scripts')
  for (const [, attributes = '', inline = ''] of scripts) {
    t.equal(inline.trim(), '', 'no inline script')
    const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1] ?? ''
    const url = new URL(src, 'http://docs.test/docs/')
    t.equal(url.origin, 'http://docs.test', `${src} is served by the service`)
    const script = await app.inject({ method: 'GET', url: url.pathname })
    t.equal(script.statusCode, 200, `${url.pathname} is served`)
    t.match(script.headers['content-type'], /javascript/)
  }
  t.notMatch(page.body, /\son[a-z]+=/i, 'no inline event handlers')
})

t.test('without CORS_ORIGINS no origin gets CORS headers and a preflight is 404', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: { origin: APP_ORIGIN } })
  t.notOk(response.headers['access-control-allow-origin'])
  const answer = await preflight(app, APP_ORIGIN)
  assertProblem(t, answer, { status: 404, code: 'not_found', instance: '/api/chat_msg/' })
  t.notOk(answer.headers['access-control-allow-origin'])
  t.notOk(answer.headers['access-control-allow-methods'])
})

t.test('an allowed origin gets its CORS headers, on answers and errors alike', async (t) => {
  const { app } = await build(t, { CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173` })
  const { headers } = await signUp(app)
  for (const [request, status] of [
    [{ headers: { ...headers, origin: APP_ORIGIN } }, 200],
    [{ headers: { origin: APP_ORIGIN } }, 401]
  ] as const) {
    const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', ...request })
    t.equal(response.statusCode, status)
    t.equal(response.headers['access-control-allow-origin'], APP_ORIGIN)
    t.match(response.headers.vary, /\bOrigin\b/)
    t.notOk(response.headers['access-control-allow-credentials'], 'bearer tokens, no cookies')
    const exposed = listOf(response, 'access-control-expose-headers')
    for (const header of ['Retry-After', 'WWW-Authenticate']) t.ok(exposed.includes(header), `${header} is exposed`)
  }
  const local = await app.inject({
    method: 'GET',
    url: '/api/tokenbalance/',
    headers: { origin: 'http://localhost:5173' }
  })
  t.equal(local.headers['access-control-allow-origin'], 'http://localhost:5173', 'every listed origin is allowed')
})

t.test('a preflight from an allowed origin is answered for every method the API uses', async (t) => {
  const { app } = await build(t, { CORS_ORIGINS: APP_ORIGIN })
  for (const [url, method] of [
    ['/api/chat_msg/', 'POST'],
    ['/api/login', 'POST'],
    ['/api/conversations/7/', 'PATCH'],
    ['/api/conversations/7/', 'DELETE']
  ] as const) {
    const response = await preflight(app, APP_ORIGIN, url, method)
    t.equal(response.statusCode, 204, `${method} ${url}`)
    t.equal(response.headers['access-control-allow-origin'], APP_ORIGIN)
    t.ok(listOf(response, 'access-control-allow-methods').includes(method), `${method} is allowed`)
    t.equal(response.headers['access-control-allow-headers'], 'authorization,content-type')
    t.equal(response.headers['access-control-max-age'], '600')
    t.equal(response.body, '')
  }
})

t.test('an origin not in CORS_ORIGINS gets no CORS headers and its preflight is 404', async (t) => {
  const { app } = await build(t, { CORS_ORIGINS: APP_ORIGIN })
  const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: { origin: OTHER_ORIGIN } })
  t.notOk(response.headers['access-control-allow-origin'])
  t.notOk(response.headers['access-control-expose-headers'])

  const answer = await preflight(app, OTHER_ORIGIN)
  assertProblem(t, answer, { status: 404, code: 'not_found', instance: '/api/chat_msg/' })
  t.notOk(answer.headers['access-control-allow-origin'])
  t.notOk(answer.headers['access-control-allow-methods'])
})
