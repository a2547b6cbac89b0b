import t from 'tap'
import { buildApp } from '../src/app.js'
import { assertProblem, build, signUp, testConfig } from './helper.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

function postJson(url: string, payload: string) {
  return { method: 'POST' as const, url, headers: JSON_HEADERS, payload }
}

t.test('an unknown route answers 404 not_found', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/api/nothing-here/' })
  assertProblem(t, response, {
    status: 404,
    code: 'not_found',
    instance: '/api/nothing-here/',
    detail: 'No route matches GET /api/nothing-here/'
  })
})

const wrongMethods = [
  { method: 'GET', url: '/api/register/', allow: 'POST' },
  { method: 'DELETE', url: '/api/tokenbalance/', allow: 'GET, HEAD' },
  { method: 'PUT', url: '/api/chat_msg', allow: 'POST' }
] as const

for (const { method, url, allow } of wrongMethods) {
  t.test(`${method} ${url} answers 405 method_not_allowed with Allow: ${allow}`, async (t) => {
    const { app } = await build(t)
    const response = await app.inject({ method, url })
    assertProblem(t, response, { status: 405, code: 'method_not_allowed', instance: url })
    t.equal(response.headers.allow, allow)
  })
}

/** Each seed path, and a request to it that gets past routing and is refused (or served) by the route itself. */
const seedPaths = [
  { path: '/api/register', method: 'POST', status: 400 },
  { path: '/api/login', method: 'POST', status: 400 },
  { path: '/api/token', method: 'POST', status: 400 },
  { path: '/api/token/refresh', method: 'POST', status: 400 },
  { path: '/api/chat_msg', method: 'POST', status: 400 },
  { path: '/api/tokenbalance', method: 'GET', status: 200 }
] as const

for (const { path, method, status } of seedPaths) {
  t.test(`${method} ${path} is routed the same with and without a trailing slash, without a redirect`, async (t) => {
    const { app } = await build(t)
    const { headers } = await signUp(app)
    for (const url of [path, `${path}/`]) {
      const payload = method === 'POST' ? { unexpected: true } : undefined
      const response = await app.inject({ method, url, headers, payload })
      t.equal(response.statusCode, status, `${method} ${url}`)
      t.notOk(response.headers.location, `${method} ${url} is not redirected`)
    }
  })
}

t.test('a body that is not valid JSON answers 400 malformed_json', async (t) => {
  const { app } = await build(t)
  const response = await app.inject(postJson('/api/register/', '{"username": "alice",'))
  assertProblem(t, response, { status: 400, code: 'malformed_json', instance: '/api/register/' })
})

t.test('an empty body sent as JSON answers 400 empty_body', async (t) => {
  const { app } = await build(t)
  const response = await app.inject(postJson('/api/register/', ''))
  assertProblem(t, response, { status: 400, code: 'empty_body', instance: '/api/register/' })
})

const unsupportedBodies = [
  { contentType: 'text/plain', payload: 'username=alice' },
  { contentType: 'application/x-www-form-urlencoded', payload: 'username=alice&password=correct-horse' }
]

for (const { contentType, payload } of unsupportedBodies) {
  t.test(`a ${contentType} body answers 415 unsupported_media_type`, async (t) => {
    const { app } = await build(t)
    const response = await app.inject({
      method: 'POST',
      url: '/api/register/',
      headers: { 'content-type': contentType },
      payload
    })
    assertProblem(t, response, { status: 415, code: 'unsupported_media_type', instance: '/api/register/' })
  })
}

t.test('a body over 128 KiB answers 413 payload_too_large', async (t) => {
  const { app } = await build(t)
  const payload = JSON.stringify({ username: 'alice', password: 'p'.repeat(128 * 1024) })
  const response = await app.inject(postJson('/api/register/', payload))
  assertProblem(t, response, { status: 413, code: 'payload_too_large', instance: '/api/register/' })
})

for (const payload of ['[]', 'null', '"alice"']) {
  t.test(`a JSON body of ${payload} instead of an object answers 400 validation_failed`, async (t) => {
    const { app } = await build(t)
    const response = await app.inject(postJson('/api/register/', payload))
    assertProblem(t, response, {
      status: 400,
      code: 'validation_failed',
      instance: '/api/register/',
      detail: 'The request body is invalid: # must be object',
      extensions: { errors: [{ pointer: '#', location: 'body', message: 'must be object' }] }
    })
  })
}

const pollutionPayloads = [
  '{"username": "mallory", "password": "correct horse", "__proto__": {"isAdmin": true}}',
  '{"username": "mallory", "password": "correct horse", "constructor": {"prototype": {"isAdmin": true}}}',
  '{"username": {"__proto__": {"isAdmin": true}}, "password": "correct horse"}'
]

for (const payload of pollutionPayloads) {
  t.test(`a prototype pollution payload is refused with 400: ${payload}`, async (t) => {
    const { app, state } = await build(t)
    const response = await app.inject(postJson('/api/register/', payload))
    t.equal(response.statusCode, 400)
    t.match(response.headers['content-type'], /^application\/problem\+json\b/)
    t.equal(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype is untouched')
    t.same(await state.users(), [], 'no user was created')
  })
}

const deeplyNested = [
  { shape: 'arrays', payload: `{"username": ${'['.repeat(60_000)}${']'.repeat(60_000)}}` },
  { shape: 'objects', payload: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}` }
]

for (const { shape, payload } of deeplyNested) {
  t.test(`deeply nested ${shape} are refused with a 4xx problem, not a crash`, async (t) => {
    const { app } = await build(t)
    const response = await app.inject(postJson('/api/register/', payload))
    t.ok(response.statusCode >= 400 && response.statusCode < 500, `4xx, got ${response.statusCode}`)
    t.match(response.headers['content-type'], /^application\/problem\+json\b/)
    t.equal(response.json().status, response.statusCode)
  })
}

t.test('a validation problem lists each invalid field with its pointer, location and message', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({
    method: 'POST',
    url: '/api/register/',
    payload: { username: 'a', password: 'correct horse' }
  })
  assertProblem(t, response, {
    status: 400,
    code: 'validation_failed',
    instance: '/api/register/',
    detail: 'The request body is invalid: #/username must NOT have fewer than 2 characters',
    extensions: {
      errors: [{ pointer: '#/username', location: 'body', message: 'must NOT have fewer than 2 characters' }]
    }
  })
})

t.test('an invalid query string is reported with location querystring', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const response = await app.inject({ method: 'GET', url: '/api/chats/?limit=abc', headers })
  assertProblem(t, response, {
    status: 400,
    code: 'validation_failed',
    instance: '/api/chats/?limit=abc',
    detail: 'The request querystring is invalid: #/limit must be integer',
    extensions: { errors: [{ pointer: '#/limit', location: 'querystring', message: 'must be integer' }] }
  })
})

t.test('an unexpected error answers 500 internal_error without leaking its message', async (t) => {
  // No public route can be made to throw an unplanned error, so the test adds one to an app built the usual way.
  const app = await buildApp(testConfig())
  t.teardown(() => app.close())
  app.get('/boom', async () => {
    throw new Error('secret internals')
  })
  await app.ready()
  const response = await app.inject({ method: 'GET', url: '/boom' })
  assertProblem(t, response, {
    status: 500,
    code: 'internal_error',
    instance: '/boom',
    detail: 'An unexpected error occurred; it has been logged'
  })
  t.notMatch(response.body, 'secret internals')
})

const unauthenticated = [
  { case: 'without credentials', headers: {}, code: 'not_authenticated' },
  { case: 'with a forged access token', headers: { authorization: 'Bearer not.a.jwt' }, code: 'token_not_valid' }
]

for (const { case: name, headers, code } of unauthenticated) {
  t.test(`a protected route called ${name} answers 401 ${code} with WWW-Authenticate: Bearer`, async (t) => {
    const { app } = await build(t)
    const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
    assertProblem(t, response, { status: 401, code, instance: '/api/tokenbalance/' })
    t.equal(response.headers['www-authenticate'], 'Bearer')
  })
}
