import { readFileSync } from 'node:fs'
import t from 'tap'
import { runnableCollection, type PostmanCollection } from '../src/postman/collection.js'
import { OPENAPI_PATH } from '../src/openapi-document.js'

const COMMITTED = JSON.parse(
  readFileSync(new URL('../openapi/ai-chat-api.postman_collection.json', import.meta.url), 'utf8')
) as Collection

interface Collection {
  info: Record<string, unknown>
  item: Array<{ name: string; request: { method: string; url: { path: string[] }; body?: { raw: string } } }>
  event: Array<{ listen: string }>
  variable: Array<{ key: string }>
}
const DOCUMENT = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))

function endpoints(collection: Collection) {
  return collection.item.map((item) => `${item.request.method} /${item.request.url.path.join('/')}`)
}

t.test('the committed collection runs the flow in order, then the rest of the document', async (t) => {
  t.same(endpoints(COMMITTED), [
    'GET /healthz',
    'GET /readyz',
    'POST /api/register/',
    'POST /api/login/',
    'GET /api/models/',
    'POST /api/chat_msg/',
    'GET /api/tokenbalance/',
    'GET /api/account/limits/',
    'PATCH /api/account/',
    'GET /api/transactions/',
    'GET /api/usage/',
    'POST /api/keys/',
    'GET /api/keys/',
    'GET /v1/models',
    'POST /v1/chat/completions',
    'PATCH /api/keys/:id/',
    'DELETE /api/keys/:id/',
    'GET /api/admin/users/',
    'POST /api/admin/users/:username/tokens/',
    'PATCH /api/admin/users/:username/',
    'GET /api/admin/users/:username/transactions/',
    'GET /api/admin/users/:username/chats/',
    'POST /api/admin/users/:username/unlock/',
    'GET /api/admin/usage/',
    'GET /api/admin/users/:username/keys/',
    'DELETE /api/admin/keys/:id/',
    'GET /api/chats/',
    'GET /api/chats/:id/',
    'GET /api/conversations/',
    'GET /api/conversations/:id/',
    'PATCH /api/conversations/:id/',
    'DELETE /api/conversations/:id/',
    'POST /api/token/refresh/',
    'POST /api/password/',
    'GET /metrics',
    'POST /api/logout/',
    'POST /api/token/',
    'POST /api/token/verify/',
    'POST /api/logout_all/',
    'POST /api/token/blacklist/',
    'POST /api/login/',
    'DELETE /api/account/'
  ])
})

t.test('the committed collection has no generated ids, so regenerating it changes nothing', async (t) => {
  t.notMatch(JSON.stringify(COMMITTED), /"(id|_postman_id)":\s*"[0-9a-f]{8}-/)
})

t.test('bodies use the collection variables for credentials and the refresh token', async (t) => {
  const bodies = Object.fromEntries(COMMITTED.item.map((item) => [item.name, item.request.body?.raw]))
  t.match(bodies['Create an account'], /"username": "\{\{username\}\}",\s*"password": "\{\{password\}\}"/)
  t.match(bodies['Spend a refresh token for a new access and refresh token'], /"refresh": "\{\{refreshToken\}\}"/)
  t.same(
    COMMITTED.variable.map((variable) => variable.key),
    ['baseUrl', 'username', 'password', 'bearerToken', 'refreshToken', 'chatId', 'conversationId', 'keyId', 'apiKey']
  )
  t.same(
    COMMITTED.event.map((event) => event.listen),
    ['prerequest', 'test']
  )
})

t.test('an operation outside the flow is appended with a check of its 2xx status', async (t) => {
  const document = {
    paths: {
      '/api/new/': {
        delete: {
          operationId: 'newThing',
          responses: { 204: {}, 404: {} }
        }
      }
    }
  }
  const converted = {
    info: { name: 'x', _postman_id: '0d3c6f5e-1111-4aaa-8bbb-123456789abc' },
    item: [
      {
        name: 'folder',
        item: [
          {
            name: 'New',
            id: '0d3c6f5e-1111-4aaa-8bbb-123456789abc',
            request: { method: 'DELETE', url: { path: ['api', 'new', ''] } }
          }
        ]
      }
    ]
  }

  const collection = runnableCollection(document, converted)

  t.same(collection.info, { name: 'x' })
  t.equal(collection.item.length, 1)
  const exec = (collection.item[0]!.event as Array<{ script: { exec: string[] } }>)[0]!.script.exec.join('\n')
  t.match(exec, 'pm.response.to.have.status(204)')
  t.notMatch(exec, 'jsonSchema', 'a 204 has no body to check')
})

t.test('an operation the converter left out is an error, not a silent gap', async (t) => {
  const document = { paths: { '/api/missing/': { get: { operationId: 'missing', responses: { 200: {} } } } } }
  t.throws(() => runnableCollection(document, { info: {}, item: [] }), /made no request for GET \/api\/missing\//)
})

t.test('an operation without a 2xx response is an error', async (t) => {
  const document = { paths: { '/x': { get: { operationId: 'x', responses: { 404: {} } } } } }
  const converted = { info: {}, item: [{ name: 'x', request: { method: 'GET', url: { path: ['x'] } } }] }
  t.throws(() => runnableCollection(document, converted), /x documents no 2xx response/)
})

t.test('preparing the committed collection again changes nothing', async (t) => {
  // CI regenerates the file from the document with `npm run openapi` and fails on any difference; this checks that the
  // preparation itself is stable.
  const again = runnableCollection(DOCUMENT, JSON.parse(JSON.stringify(COMMITTED)) as PostmanCollection)
  t.same(again, COMMITTED)
})
