import t from 'tap'
import type { App } from '../src/app.js'
import type { ChatItem } from '../src/modules/chat/schemas.js'
import { build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

type Headers = Record<string, string>

/** Enough tokens for the longest history these tests write. */
const PLENTY = { INITIAL_TOKENS: '100000' }

async function sendChat(app: App, headers: Headers, message: string) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message } })
}

/** Sends `count` messages one after another and returns their ids in the order sent. */
async function sendChats(app: App, headers: Headers, count: number, prefix = 'message'): Promise<number[]> {
  const ids: number[] = []
  for (let index = 0; index < count; index++) {
    const response = await sendChat(app, headers, `${prefix} ${index}`)
    if (response.statusCode !== 201) throw new Error(`chat ${index} failed: ${response.body}`)
    ids.push(response.json().id)
  }
  return ids
}

function listChats(app: App, headers: Headers, query: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url: '/api/chats/', headers, query })
}

async function readPage(app: App, headers: Headers, query: Record<string, string> = {}) {
  const response = await listChats(app, headers, query)
  if (response.statusCode !== 200) throw new Error(`listing failed: ${response.body}`)
  return response.json() as { items: ChatItem[]; next_cursor: string | null }
}

/** Follows `next_cursor` to the last page and returns every page. */
async function readAllPages(app: App, headers: Headers, limit: number) {
  const pages = [await readPage(app, headers, { limit: String(limit) })]
  while (pages.at(-1)!.next_cursor !== null) {
    pages.push(await readPage(app, headers, { limit: String(limit), cursor: pages.at(-1)!.next_cursor! }))
  }
  return pages
}

function newestFirst(ids: number[]) {
  return [...ids].sort((a, b) => b - a)
}

async function storedItem(state: StoredState, chatId: number): Promise<ChatItem> {
  const row = (await state.chats()).find(({ id }) => id === chatId)!
  return {
    id: row.id,
    conversation_id: row.conversationId!,
    message: row.message,
    response: row.response!,
    status: row.status as ChatItem['status'],
    timestamp: new Date(row.createdAt).toISOString(),
    cost: row.cost,
    model: row.model!,
    upstream_model: row.upstreamModel,
    usage:
      row.promptTokens === null || row.completionTokens === null
        ? null
        : {
            prompt_tokens: row.promptTokens,
            cached_tokens: row.cachedTokens ?? 0,
            completion_tokens: row.completionTokens
          },
    usage_source: row.usageSource
  }
}

/** Answers normally unless the message asks it to fail. */
const failOnRequestProvider = providerFrom('fail-on-request', async ({ messages }) => {
  const message = messages.at(-1)!.content
  if (message.startsWith('fail')) throw new Error('scripted failure')
  return { text: `reply to ${message}`, model: 'scripted', usage: null }
})

t.test('the history lists only the caller’s own chats, newest first, on one last page', async (t) => {
  const { app, state } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  const aliceIds = await sendChats(app, alice.headers, 3, 'alice')
  await sendChats(app, bob.headers, 2, 'bob')

  const page = await readPage(app, alice.headers)

  t.same(page, {
    items: await Promise.all(newestFirst(aliceIds).map((id) => storedItem(state, id))),
    next_cursor: null
  })
  t.same(
    page.items.map((item) => item.message),
    ['alice 2', 'alice 1', 'alice 0']
  )
})

t.test('every history item has exactly the documented fields', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  await sendChats(app, headers, 1)

  const [item] = (await readPage(app, headers)).items

  t.same(Object.keys(item!).sort(), [
    'conversation_id',
    'cost',
    'id',
    'message',
    'model',
    'response',
    'status',
    'timestamp',
    'upstream_model',
    'usage',
    'usage_source'
  ])
  t.match(item, { id: Number, message: 'message 0', response: /^\[offline reply\]/, cost: 100 })
  t.match(item!.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  t.equal(new Date(item!.timestamp).toISOString(), item!.timestamp)
})

t.test('the history shows 20 chats per page by default', async (t) => {
  const { app } = await build(t, PLENTY)
  const { headers } = await signUp(app)
  const ids = newestFirst(await sendChats(app, headers, 25))

  const page = await readPage(app, headers)

  t.same(
    page.items.map((item) => item.id),
    ids.slice(0, 20)
  )
  t.equal(page.next_cursor, String(ids[19]))
})

t.test('following next_cursor walks 45 chats in pages of 20, 20 and 5 without duplicates or gaps', async (t) => {
  const { app } = await build(t, PLENTY)
  const { headers } = await signUp(app)
  const ids = newestFirst(await sendChats(app, headers, 45))

  const pages = await readAllPages(app, headers, 20)

  t.same(
    pages.map((page) => page.items.length),
    [20, 20, 5]
  )
  const walked = pages.flatMap((page) => page.items.map((item) => item.id))
  t.same(walked, ids, 'every chat exactly once, ids strictly descending')
})

t.test('a page that ends exactly at the oldest chat has no next cursor', async (t) => {
  const { app } = await build(t, PLENTY)
  const { headers } = await signUp(app)
  await sendChats(app, headers, 40)

  const pages = await readAllPages(app, headers, 20)

  t.same(
    pages.map((page) => [page.items.length, page.next_cursor === null]),
    [
      [20, false],
      [20, true]
    ]
  )
})

const invalidQueries: Array<{ query: Record<string, string>; pointer: string }> = [
  { query: { limit: '0' }, pointer: '#/limit' },
  { query: { limit: '101' }, pointer: '#/limit' },
  { query: { limit: 'abc' }, pointer: '#/limit' },
  { query: { cursor: 'abc' }, pointer: '#/cursor' },
  { query: { cursor: '-1' }, pointer: '#/cursor' },
  { query: { cursor: '0' }, pointer: '#/cursor' }
]

for (const { query, pointer } of invalidQueries) {
  t.test(`listing the history with ${new URLSearchParams(query)} is refused with 400`, async (t) => {
    const { app } = await build(t)
    const { headers } = await signUp(app)

    const response = await listChats(app, headers, query)

    t.equal(response.statusCode, 400)
    t.match(response.json(), { status: 400, code: 'validation_failed', errors: [{ pointer, location: 'querystring' }] })
  })
}

t.test('refunded chats do not appear in the history', async (t) => {
  const { app } = await build(t, {}, { provider: failOnRequestProvider })
  const { headers } = await signUp(app)
  await sendChat(app, headers, 'first')
  t.equal((await sendChat(app, headers, 'fail please')).statusCode, 502)
  await sendChat(app, headers, 'second')

  const page = await readPage(app, headers)

  t.same(
    page.items.map((item) => item.message),
    ['second', 'first']
  )
})

t.test('a refunded chat cannot be read by its id', async (t) => {
  const { app, state } = await build(t, {}, { provider: failOnRequestProvider })
  const { headers } = await signUp(app)
  await sendChat(app, headers, 'fail please')
  const { id } = (await state.chats()).find(({ status }) => status === 'failed')!

  const response = await app.inject({ method: 'GET', url: `/api/chats/${id}/`, headers })

  t.equal(response.statusCode, 404)
  t.match(response.json(), { code: 'chat_not_found' })
})

t.test('one chat can be read by its id, with or without the trailing slash', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const [id] = await sendChats(app, headers, 1)

  for (const url of [`/api/chats/${id}/`, `/api/chats/${id}`]) {
    const response = await app.inject({ method: 'GET', url, headers })
    t.equal(response.statusCode, 200, url)
    t.same(response.json(), await storedItem(state, id!), url)
  }
})

t.test('another user’s chat is reported as not found', async (t) => {
  const { app } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  const [aliceChatId] = await sendChats(app, alice.headers, 1)

  const response = await app.inject({ method: 'GET', url: `/api/chats/${aliceChatId}/`, headers: bob.headers })

  t.equal(response.statusCode, 404)
  t.match(response.json(), {
    type: 'urn:ai-chat-api:problem:chat_not_found',
    status: 404,
    code: 'chat_not_found'
  })
})

t.test('a chat id that does not exist is reported as not found', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)

  const response = await app.inject({ method: 'GET', url: '/api/chats/999/', headers })

  t.equal(response.statusCode, 404)
  t.match(response.json(), { status: 404, code: 'chat_not_found' })
})

for (const id of ['abc', '0']) {
  t.test(`reading the chat with id ${id} is refused with 400`, async (t) => {
    const { app } = await build(t)
    const { headers } = await signUp(app)

    const response = await app.inject({ method: 'GET', url: `/api/chats/${id}/`, headers })

    t.equal(response.statusCode, 400)
    t.match(response.json(), { code: 'validation_failed', errors: [{ pointer: '#/id', location: 'params' }] })
  })
}
