import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import type { HTTPMethods } from 'fastify'
import t from 'tap'
import type { App } from '../src/app.js'
import { GATEWAY_PREFIX } from '../src/modules/gateway/routes.js'
import { OPENAPI_PATH } from '../src/openapi-document.js'
import { isCalendarDate } from '../src/plugins/validation.js'
import { build } from './helper.js'

interface MediaType {
  schema?: object
  example?: unknown
}

interface Operation {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  security?: Record<string, string[]>[]
  parameters?: unknown[]
  requestBody?: { content: Record<string, MediaType> }
  responses: Record<string, { content?: Record<string, MediaType & { schema?: { $ref?: string } }> }>
}

interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  tags: { name: string; description: string }[]
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, object> }
}

const PROTECTED = [
  'getTokenBalance',
  'getSpendLimits',
  'updateAccount',
  'deleteAccount',
  'listModels',
  'sendChatMessage',
  'listChats',
  'getChat',
  'listConversations',
  'getConversation',
  'renameConversation',
  'deleteConversation',
  'logout',
  'logoutAll',
  'changePassword',
  'listTransactions',
  'getUsageReport',
  'adminListUsers',
  'adminAdjustTokens',
  'adminListUserChats',
  'adminListUserTransactions',
  'adminUnlockUser',
  'adminUpdateUser',
  'adminGetUsageReport',
  'createApiKey',
  'listApiKeys',
  'updateApiKey',
  'revokeApiKey',
  'adminListUserKeys',
  'adminRevokeApiKey',
  'listOpenAiModels',
  'createChatCompletion'
]
const PUBLIC = [
  'register',
  'login',
  'obtainTokenPair',
  'refreshTokenPair',
  'verifyToken',
  'blacklistRefreshToken',
  'checkHealth',
  'checkReadiness',
  'getMetrics'
]
const TAGS = ['auth', 'chat', 'conversations', 'account', 'keys', 'openai', 'admin', 'ops']

async function servedDocument(app: App): Promise<OpenApiDocument> {
  const response = await app.inject({ method: 'GET', url: '/openapi.json' })
  if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`)
  return response.json()
}

function operationsOf(document: OpenApiDocument) {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation }))
  )
}

/** Whether the operation declares this error status in its path's shape: OpenAI's under /v1/, a problem elsewhere. */
function declaresError(path: string, operation: Operation, status: string): boolean {
  const [mediaType, schema] = path.startsWith(`${GATEWAY_PREFIX}/`)
    ? ['application/json', 'OpenAiError']
    : ['application/problem+json', 'Problem']
  return operation.responses[status]?.content?.[mediaType]?.schema?.$ref === `#/components/schemas/${schema}`
}

t.test('the served OpenAPI document is the committed openapi/openapi.json', async (t) => {
  const { app } = await build(t)
  const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))
  const drift = 'the served document matches openapi/openapi.json; on drift run `npm run openapi` and commit it'
  t.strictSame(await servedDocument(app), committed, drift)
})

t.test('the document is OpenAPI 3.1.0', async (t) => {
  const { app } = await build(t)
  t.equal((await servedDocument(app)).openapi, '3.1.0')
})

t.test('every operation has a unique operationId, a summary, a description and tags', async (t) => {
  const { app } = await build(t)
  const operations = operationsOf(await servedDocument(app))
  t.same(operations.map(({ operation }) => operation.operationId).sort(), [...PROTECTED, ...PUBLIC].sort())
  for (const { method, path, operation } of operations) {
    const name = `${method} ${path}`
    t.match(operation, { summary: /\S/, description: /\S/ }, `${name} has a summary and a description`)
    t.ok(operation.tags && operation.tags.length > 0, `${name} has tags`)
  }
})

t.test('every operation that takes input or a token declares a 4xx error in its path’s shape', async (t) => {
  const { app } = await build(t)
  const operations = operationsOf(await servedDocument(app))
  const withInput = operations.filter(
    ({ operation }) => operation.requestBody || operation.parameters || operation.security
  )
  t.same(
    operations.filter((entry) => !withInput.includes(entry)).map(({ operation }) => operation.operationId),
    ['checkHealth', 'checkReadiness', 'getMetrics'],
    'only the probes take nothing'
  )
  for (const { method, path, operation } of withInput) {
    const errorStatuses = Object.keys(operation.responses).filter(
      (status) => status.startsWith('4') && declaresError(path, operation, status)
    )
    t.not(errorStatuses.length, 0, `${method} ${path} declares a 4xx error`)
  }
})

t.test('the protected operations require the bearer token and the auth operations do not', async (t) => {
  const { app } = await build(t)
  const document = await servedDocument(app)
  t.ok(document.components.securitySchemes.bearerAuth, 'bearerAuth is defined')
  for (const { operation } of operationsOf(document)) {
    const expected = PROTECTED.includes(operation.operationId ?? '') ? [{ bearerAuth: [] }] : undefined
    t.same(operation.security, expected, `${operation.operationId} security`)
  }
})

t.test('every operation with security answers an anonymous request with 401 and declares it', async (t) => {
  const { app } = await build(t)
  const secured = operationsOf(await servedDocument(app)).filter(({ operation }) => operation.security)
  t.equal(secured.length, PROTECTED.length)
  for (const { method, path, operation } of secured) {
    const url = path.replaceAll(/\{[^}]+\}/g, '1')
    const response = await app.inject({ method: method as HTTPMethods, url })
    t.equal(response.statusCode, 401, `${method} ${url} answers 401`)
    t.ok(declaresError(path, operation, '401'), `${method} ${path} declares its 401`)
  }
})

t.test('GET /docs serves the Swagger UI page', async (t) => {
  const { app } = await build(t)
  let response = await app.inject({ method: 'GET', url: '/docs' })
  if (response.statusCode >= 300 && response.statusCode < 400) {
    response = await app.inject({ method: 'GET', url: String(response.headers.location) })
  }
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/html\b/)
  t.match(response.body, /<html/i)
})

t.test('GET /docs/json serves the same document as /openapi.json', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json\b/)
  t.strictSame(response.json(), await servedDocument(app))
})

t.test('the document declares its tags, and every operation has exactly one of them', async (t) => {
  const { app } = await build(t)
  const document = await servedDocument(app)
  t.same(
    document.tags.map((tag) => tag.name),
    TAGS
  )
  for (const { method, path, operation } of operationsOf(document)) {
    t.equal(operation.tags?.length, 1, `${method} ${path} has one tag`)
    t.ok(TAGS.includes(operation.tags?.[0] ?? ''), `${method} ${path} has a declared tag`)
  }
})

t.test('every request and response body in the document has an example that its schema accepts', async (t) => {
  const { app } = await build(t)
  const document = await servedDocument(app)
  // The app's own validator settings (Unicode patterns included), with the document's components as references.
  const ajv = new Ajv({ strict: false })
  ajv.addFormat('date-time', true)
  ajv.addFormat('date', isCalendarDate)
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    ajv.addSchema(schema, `#/components/schemas/${name}`)
  }
  for (const { method, path, operation } of operationsOf(document)) {
    const bodies = [
      ...Object.entries(operation.requestBody?.content ?? {}).map(
        ([type, media]) => [`request ${type}`, media] as const
      ),
      ...Object.entries(operation.responses).flatMap(([status, response]) =>
        Object.entries(response.content ?? {}).map(([type, media]) => [`${status} ${type}`, media] as const)
      )
    ]
    for (const [body, media] of bodies) {
      const name = `${method} ${path} ${body}`
      t.not(media.example, undefined, `${name} has an example`)
      const validate = ajv.compile(media.schema ?? {})
      t.ok(validate(media.example), `${name}: the example is valid ${JSON.stringify(validate.errors)}`)
    }
  }
})

t.test('/docs keeps the bearer token you authorize with across page loads', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
  t.equal(response.statusCode, 200)
  t.match(response.body, /"persistAuthorization":\s*true/)
})
