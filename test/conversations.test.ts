import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { ConversationTurn } from '../src/ai/provider.js'
import type { App } from '../src/app.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

type Headers = Record<string, string>
type Method = 'GET' | 'PATCH' | 'DELETE'

const CONVERSATION_FIELDS = ['created_at', 'id', 'message_count', 'title', 'updated_at']
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

function sendChat(app: App, headers: Headers, message: string, conversationId?: unknown) {
  const payload = conversationId === undefined ? { message } : { message, conversation_id: conversationId }
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload })
}

/** Sends one chat that must succeed and returns its 201 body. */
async function chat(app: App, headers: Headers, message: string, conversationId?: number) {
  const response = await sendChat(app, headers, message, conversationId)
  if (response.statusCode !== 201) throw new Error(`chat "${message}" failed: ${response.body}`)
  return response.json() as { id: number; conversation_id: number }
}

async function startConversation(app: App, headers: Headers, message = 'hello'): Promise<number> {
  return (await chat(app, headers, message)).conversation_id
}

function conversationUrl(id: number, trailingSlash = true) {
  return `/api/conversations/${id}${trailingSlash ? '/' : ''}`
}

function onConversation(app: App, headers: Headers, method: Method, id: number, payload?: object) {
  return app.inject({ method, url: conversationUrl(id), headers, ...(payload && { payload }) })
}

function listConversations(app: App, headers: Headers, query: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url: '/api/conversations/', headers, query })
}

async function readList(app: App, headers: Headers, query: Record<string, string> = {}) {
  const response = await listConversations(app, headers, query)
  if (response.statusCode !== 200) throw new Error(`listing failed: ${response.body}`)
  return response.json() as { items: Array<{ id: number; message_count: number }>; next_cursor: string | null }
}

async function balanceOf(app: App, headers: Headers): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })).json().tokens
}

/** The API view of a conversation as the database holds it. */
async function storedConversation(state: StoredState, id: number) {
  const row = (await state.conversations()).find((conversation) => conversation.id === id)!
  const answered = (await state.chats()).filter(
    (chat) => chat.conversationId === id && (chat.status === 'completed' || chat.status === 'incomplete')
  )
  return {
    id: row.id,
    title: row.title,
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
    message_count: answered.length
  }
}

async function conversationCount(state: StoredState): Promise<number> {
  return (await state.conversations()).length
}

async function chatIdsOf(state: StoredState, conversationId: number): Promise<number[]> {
  return (await state.chats()).filter((chat) => chat.conversationId === conversationId).map(({ id }) => id)
}

async function ledgerOfChats(state: StoredState, chatIds: number[]) {
  const rows = (await state.ledger()).filter(({ chatId }) => chatId !== null && chatIds.includes(chatId))
  return { rows: rows.length, total: rows.reduce((total, { delta }) => total + delta, 0) }
}

/** Everything a chat could cost: the balance, the chats and the ledger. */
async function accounting(app: App, state: StoredState, headers: Headers) {
  const ledgerRows = (await state.ledger()).length
  return { balance: await balanceOf(app, headers), chats: await state.countChats(), ledgerRows }
}

/** Waits until the clock has moved on, so that the next activity is strictly later than the last. */
async function nextMillisecond() {
  const now = Date.now()
  while (Date.now() === now) await sleep(1)
}

/** Records the messages of every request and answers each one. */
function recordingProvider() {
  const prompts: ConversationTurn[][] = []
  const provider = providerFrom('recording', async ({ messages }) => {
    prompts.push(messages)
    return { text: `reply to ${messages.at(-1)!.content}`, model: 'recording', usage: null }
  })
  return { provider, prompts }
}

/** Answers normally unless the message asks it to fail. */
const failOnRequestProvider = providerFrom('fail-on-request', async ({ messages }) => {
  const message = messages.at(-1)!.content
  if (message.startsWith('fail')) throw new Error('scripted failure')
  return { text: `reply to ${message}`, model: 'scripted', usage: null }
})

/** Holds every reply until the test releases them all with one text. */
function gatedProvider() {
  let release!: (text: string) => void
  const gate = new Promise<string>((resolve) => (release = resolve))
  const provider = providerFrom('gated', async () => ({ text: await gate, model: 'gated', usage: null }))
  return { provider, release }
}

/** Waits, without a deadline of its own, for the app to reserve a chat; the tap timeout bounds it. */
async function pendingChat(state: StoredState) {
  for (;;) {
    const row = (await state.chats()).find(({ status }) => status === 'pending')
    if (row) return { id: row.id, conversation_id: row.conversationId! }
    await sleep(5)
  }
}

/** Alice with a conversation of two chats, and Bob, who has a conversation of his own. */
async function aliceAndBob(app: App) {
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  const aliceConversation = await startConversation(app, alice.headers, 'alice first')
  await chat(app, alice.headers, 'alice second', aliceConversation)
  await startConversation(app, bob.headers, 'bob first')
  return { alice, bob, aliceConversation }
}

t.test('a chat without conversation_id starts a new conversation titled after the message', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)

  const response = await sendChat(app, headers, '  Trip\n\tto   Paris  ')

  t.equal(response.statusCode, 201)
  const { id, conversation_id } = response.json()
  t.type(conversation_id, 'number')
  t.match(await storedConversation(state, conversation_id), { title: 'Trip to Paris', message_count: 1 })
  t.same(await chatIdsOf(state, conversation_id), [id])
})

t.test('a 200-character first message gives an 80-character title ending in an ellipsis', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const message = 'abcdefghij'.repeat(20)

  const conversationId = await startConversation(app, headers, message)

  const { title } = await storedConversation(state, conversationId)
  t.equal([...title].length, 80)
  t.equal(title, `${message.slice(0, 79)}…`)
})

t.test('titles count characters, not UTF-16 units: 60 emoji fit, 100 are cut to 79 and an ellipsis', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const fits = '🦜'.repeat(60)
  const tooLong = '🦜'.repeat(100)

  t.equal((await storedConversation(state, await startConversation(app, headers, fits))).title, fits)
  t.equal(
    (await storedConversation(state, await startConversation(app, headers, tooLong))).title,
    `${'🦜'.repeat(79)}…`
  )
})

t.test('a chat with the caller’s conversation_id joins that conversation', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers, 'first')

  const second = await chat(app, headers, 'second', conversationId)

  t.equal(second.conversation_id, conversationId)
  t.equal(await conversationCount(state), 1)
  t.match(await storedConversation(state, conversationId), { title: 'first', message_count: 2 })
})

t.test('the provider receives the system prompt, the earlier messages in order, then the new one', async (t) => {
  const { provider, prompts } = recordingProvider()
  const { app } = await build(t, { AI_SYSTEM_PROMPT: 'Answer like a pirate.' }, { provider })
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers, 'one')
  await chat(app, headers, 'two', conversationId)

  await chat(app, headers, 'three', conversationId)

  t.same(prompts.at(-1), [
    { role: 'system', content: 'Answer like a pirate.' },
    { role: 'user', content: 'one' },
    { role: 'assistant', content: 'reply to one' },
    { role: 'user', content: 'two' },
    { role: 'assistant', content: 'reply to two' },
    { role: 'user', content: 'three' }
  ])
})

t.test('a new conversation sends none of the caller’s other chats to the provider', async (t) => {
  const { provider, prompts } = recordingProvider()
  const { app } = await build(t, { AI_SYSTEM_PROMPT: 'Be brief.' }, { provider })
  const { headers } = await signUp(app)
  await startConversation(app, headers, 'elsewhere')

  await startConversation(app, headers, 'fresh start')

  t.same(prompts.at(-1), [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'fresh start' }
  ])
})

const contextLimits: Array<{ limit: string; sends: string; earlier: ConversationTurn[] }> = [
  {
    limit: '3',
    sends: 'only the last 3 earlier messages',
    earlier: [
      { role: 'assistant', content: 'reply to earlier 1' },
      { role: 'user', content: 'earlier 2' },
      { role: 'assistant', content: 'reply to earlier 2' }
    ]
  },
  { limit: '0', sends: 'no earlier messages', earlier: [] }
]

for (const { limit, sends, earlier } of contextLimits) {
  t.test(`with AI_CONTEXT_MESSAGES=${limit} the provider receives ${sends}`, async (t) => {
    const { provider, prompts } = recordingProvider()
    const { app } = await build(t, { AI_SYSTEM_PROMPT: 'System.', AI_CONTEXT_MESSAGES: limit }, { provider })
    const { headers } = await signUp(app)
    const conversationId = await startConversation(app, headers, 'earlier 0')
    for (const message of ['earlier 1', 'earlier 2']) await chat(app, headers, message, conversationId)

    await chat(app, headers, 'now', conversationId)

    t.same(prompts.at(-1), [{ role: 'system', content: 'System.' }, ...earlier, { role: 'user', content: 'now' }])
  })
}

/** Conversations that Alice may not use: Bob's, and one that was never created. */
const unknownConversations = [
  {
    name: 'another user’s conversation',
    id: async (app: App) => startConversation(app, (await signUp(app, 'bob')).headers)
  },
  { name: 'a conversation that does not exist', id: async () => 999 }
]

for (const { name, id } of unknownConversations) {
  t.test(`a chat in ${name} is 404 conversation_not_found and costs nothing`, async (t) => {
    const { app, state } = await build(t)
    const { headers } = await signUp(app, 'alice')
    const conversationId = await id(app)
    const before = await accounting(app, state, headers)

    const response = await sendChat(app, headers, 'sneaking in', conversationId)

    assertProblem(t, response, { status: 404, code: 'conversation_not_found', instance: '/api/chat_msg/' })
    t.same(await accounting(app, state, headers), before)
    t.same(await state.ledgerMismatches(), [])
  })
}

for (const conversationId of [0, -1, 'abc', 1.5]) {
  t.test(`a chat with conversation_id ${JSON.stringify(conversationId)} is refused with 400`, async (t) => {
    const { app, state } = await build(t)
    const { headers } = await signUp(app)

    const response = await sendChat(app, headers, 'hello', conversationId)

    t.equal(response.statusCode, 400)
    t.match(response.json(), {
      code: 'validation_failed',
      errors: [{ pointer: '#/conversation_id', location: 'body' }]
    })
    t.equal(await state.countChats(), 0)
  })
}

t.test('the list holds only the caller’s conversations, each with exactly the documented fields', async (t) => {
  const { app, state } = await build(t)
  const { alice, aliceConversation } = await aliceAndBob(app)

  const page = await readList(app, alice.headers)

  t.same(page, { items: [await storedConversation(state, aliceConversation)], next_cursor: null })
  const [item] = page.items
  t.same(Object.keys(item!).sort(), CONVERSATION_FIELDS)
  t.match(item, { title: 'alice first', message_count: 2, created_at: ISO_DATE_TIME, updated_at: ISO_DATE_TIME })
})

t.test('the list shows the most recent activity first: a chat moves an older conversation to the front', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const older = await startConversation(app, headers, 'older')
  await nextMillisecond()
  const newer = await startConversation(app, headers, 'newer')
  t.same(
    (await readList(app, headers)).items.map((item) => item.id),
    [newer, older]
  )
  await nextMillisecond()

  await chat(app, headers, 'back to the older one', older)

  t.same(
    (await readList(app, headers)).items.map((item) => item.id),
    [older, newer]
  )
})

t.test('message_count counts the completed chats and not the refunded ones', async (t) => {
  const { app } = await build(t, {}, { provider: failOnRequestProvider })
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers, 'first')
  t.equal((await sendChat(app, headers, 'fail please', conversationId)).statusCode, 502)
  await chat(app, headers, 'second', conversationId)

  const [item] = (await readList(app, headers)).items

  t.match(item, { id: conversationId, message_count: 2 })
})

t.test('following next_cursor walks 25 conversations in pages of 10, 10 and 5 without duplicates', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const ids: number[] = []
  for (let index = 0; index < 25; index++) ids.push(await startConversation(app, headers, `topic ${index}`))

  const pages = [await readList(app, headers, { limit: '10' })]
  while (pages.at(-1)!.next_cursor !== null) {
    pages.push(await readList(app, headers, { limit: '10', cursor: pages.at(-1)!.next_cursor! }))
  }

  t.same(
    pages.map((page) => page.items.length),
    [10, 10, 5]
  )
  t.same(
    pages.flatMap((page) => page.items.map((item) => item.id)),
    ids.reverse(),
    'every conversation exactly once, most recent first'
  )
})

const invalidListQueries: Array<{ query: Record<string, string>; pointer: string }> = [
  { query: { limit: '0' }, pointer: '#/limit' },
  { query: { limit: '101' }, pointer: '#/limit' },
  { query: { cursor: 'abc' }, pointer: '#/cursor' },
  { query: { cursor: '12' }, pointer: '#/cursor' },
  { query: { cursor: '12_0' }, pointer: '#/cursor' },
  { query: { cursor: '_5' }, pointer: '#/cursor' }
]

for (const { query, pointer } of invalidListQueries) {
  t.test(`listing conversations with ${new URLSearchParams(query)} is refused with 400`, async (t) => {
    const { app } = await build(t)
    const { headers } = await signUp(app)

    const response = await listConversations(app, headers, query)

    t.equal(response.statusCode, 400)
    t.match(response.json(), { code: 'validation_failed', errors: [{ pointer, location: 'querystring' }] })
  })
}

t.test('one conversation is read with its chats newest first, paged by cursor and limit', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers, 'one')
  for (const message of ['two', 'three']) await chat(app, headers, message, conversationId)
  await startConversation(app, headers, 'another topic')
  const [one, two, three] = await chatIdsOf(state, conversationId)
  const chatItem = async (id: number) => (await app.inject({ method: 'GET', url: `/api/chats/${id}/`, headers })).json()

  const first = await app.inject({
    method: 'GET',
    url: conversationUrl(conversationId),
    headers,
    query: { limit: '2' }
  })
  const second = await app.inject({
    method: 'GET',
    url: conversationUrl(conversationId),
    headers,
    query: { limit: '2', cursor: String(two) }
  })

  t.equal(first.statusCode, 200)
  t.same(first.json(), {
    ...(await storedConversation(state, conversationId)),
    messages: { items: [await chatItem(three!), await chatItem(two!)], next_cursor: String(two) }
  })
  t.same(second.json().messages, { items: [await chatItem(one!)], next_cursor: null })
})

for (const { name, id } of unknownConversations) {
  t.test(`reading ${name} is 404 conversation_not_found`, async (t) => {
    const { app } = await build(t)
    const { headers } = await signUp(app, 'alice')
    const conversationId = await id(app)

    const response = await onConversation(app, headers, 'GET', conversationId)

    assertProblem(t, response, {
      status: 404,
      code: 'conversation_not_found',
      instance: conversationUrl(conversationId)
    })
  })
}

t.test('renaming a conversation stores the trimmed title and returns the conversation', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers, 'first')

  const response = await onConversation(app, headers, 'PATCH', conversationId, { title: '  Trip to Paris  ' })

  t.equal(response.statusCode, 200)
  t.same(response.json(), await storedConversation(state, conversationId))
  t.match(response.json(), { id: conversationId, title: 'Trip to Paris', message_count: 1 })
})

t.test('a title of exactly 200 characters is accepted', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers)
  const title = 'x'.repeat(200)

  const response = await onConversation(app, headers, 'PATCH', conversationId, { title })

  t.equal(response.statusCode, 200)
  t.equal((await storedConversation(state, conversationId)).title, title)
})

const invalidRenames: Array<{ name: string; payload: object; pointer: string }> = [
  { name: 'an empty title', payload: { title: '' }, pointer: '#/title' },
  { name: 'a blank title', payload: { title: ' \t\n ' }, pointer: '#/title' },
  { name: 'a title of 201 characters', payload: { title: 'x'.repeat(201) }, pointer: '#/title' },
  { name: 'no title', payload: {}, pointer: '#/title' },
  { name: 'an extra property', payload: { title: 'ok', pinned: true }, pointer: '#/pinned' }
]

for (const { name, payload, pointer } of invalidRenames) {
  t.test(`renaming with ${name} is refused with 400 and keeps the title`, async (t) => {
    const { app, state } = await build(t)
    const { headers } = await signUp(app)
    const conversationId = await startConversation(app, headers, 'first')

    const response = await onConversation(app, headers, 'PATCH', conversationId, payload)

    t.equal(response.statusCode, 400)
    t.match(response.json(), { code: 'validation_failed', errors: [{ pointer, location: 'body' }] })
    t.equal((await storedConversation(state, conversationId)).title, 'first')
  })
}

t.test('renaming another user’s conversation is 404 and keeps its title', async (t) => {
  const { app, state } = await build(t)
  const { aliceConversation, bob } = await aliceAndBob(app)

  const response = await onConversation(app, bob.headers, 'PATCH', aliceConversation, { title: 'mine now' })

  assertProblem(t, response, {
    status: 404,
    code: 'conversation_not_found',
    instance: conversationUrl(aliceConversation)
  })
  t.equal((await storedConversation(state, aliceConversation)).title, 'alice first')
})

t.test('deleting a conversation answers 204 with an empty body, and it can no longer be read', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers)

  const response = await onConversation(app, headers, 'DELETE', conversationId)

  t.equal(response.statusCode, 204)
  t.equal(response.body, '')
  t.equal((await onConversation(app, headers, 'GET', conversationId)).statusCode, 404)
  t.same((await readList(app, headers)).items, [])
})

t.test('deleting a conversation removes its chats and leaves the other conversations’ chats', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const doomed = await startConversation(app, headers, 'doomed')
  await chat(app, headers, 'doomed too', doomed)
  const kept = await startConversation(app, headers, 'kept')
  const keptChatIds = await chatIdsOf(state, kept)

  await onConversation(app, headers, 'DELETE', doomed)

  const history = (await app.inject({ method: 'GET', url: '/api/chats/', headers })).json()
  t.same(
    history.items.map((item: { id: number }) => item.id),
    keptChatIds
  )
  t.same(await chatIdsOf(state, doomed), [])
  t.equal(await state.countChats(), keptChatIds.length)
})

t.test('deleting a conversation keeps the ledger rows of its chats and leaves the balance unchanged', async (t) => {
  const { app, state } = await build(t, {}, { provider: failOnRequestProvider })
  const { headers } = await signUp(app)
  const conversationId = await startConversation(app, headers, 'first')
  await sendChat(app, headers, 'fail please', conversationId)
  await chat(app, headers, 'second', conversationId)
  const chatIds = await chatIdsOf(state, conversationId)
  const ledgerBefore = await ledgerOfChats(state, chatIds)
  const balanceBefore = await balanceOf(app, headers)

  await onConversation(app, headers, 'DELETE', conversationId)

  t.same(ledgerBefore, { rows: 4, total: -200 }, 'two charges, one charge refunded')
  t.same(await ledgerOfChats(state, chatIds), ledgerBefore)
  t.equal(await balanceOf(app, headers), balanceBefore)
  t.same(await state.ledgerMismatches(), [])
})

t.test('deleting another user’s conversation is 404 and deletes nothing', async (t) => {
  const { app, state } = await build(t)
  const { aliceConversation, bob } = await aliceAndBob(app)
  const chatsBefore = await chatIdsOf(state, aliceConversation)

  const response = await onConversation(app, bob.headers, 'DELETE', aliceConversation)

  assertProblem(t, response, {
    status: 404,
    code: 'conversation_not_found',
    instance: conversationUrl(aliceConversation)
  })
  t.match(await storedConversation(state, aliceConversation), { title: 'alice first', message_count: 2 })
  t.same(await chatIdsOf(state, aliceConversation), chatsBefore)
})

t.test('a conversation with a reply on its way cannot be deleted, and the reply still completes', async (t) => {
  const { provider, release } = gatedProvider()
  const { app, state } = await build(t, {}, { provider })
  const { headers } = await signUp(app)
  const answer = sendChat(app, headers, 'hello')
  const pending = await pendingChat(state)

  const response = await onConversation(app, headers, 'DELETE', pending.conversation_id)

  assertProblem(t, response, {
    status: 409,
    code: 'conversation_busy',
    instance: conversationUrl(pending.conversation_id)
  })
  release('late reply')
  const reply = await answer
  t.equal(reply.statusCode, 201)
  t.match(reply.json(), { id: pending.id, conversation_id: pending.conversation_id, response: 'late reply' })
  t.match(await storedConversation(state, pending.conversation_id), { message_count: 1 })
  t.same(await state.ledgerMismatches(), [])
})

t.test('once its reply has arrived, a conversation that was busy can be deleted', async (t) => {
  const { provider, release } = gatedProvider()
  const { app, state } = await build(t, {}, { provider })
  const { headers } = await signUp(app)
  const answer = sendChat(app, headers, 'hello')
  const { conversation_id } = await pendingChat(state)
  await onConversation(app, headers, 'DELETE', conversation_id)
  release('late reply')
  await answer

  const response = await onConversation(app, headers, 'DELETE', conversation_id)

  t.equal(response.statusCode, 204)
  t.equal(await conversationCount(state), 0)
})

const routes: Array<{ method: Method; status: number; payload?: object }> = [
  { method: 'GET', status: 200 },
  { method: 'PATCH', status: 200, payload: { title: 'renamed' } },
  { method: 'DELETE', status: 204 }
]

for (const trailingSlash of [true, false]) {
  const slash = trailingSlash ? 'with' : 'without'

  t.test(`the conversation list answers ${slash} the trailing slash`, async (t) => {
    const { app } = await build(t)
    const { headers } = await signUp(app)
    await startConversation(app, headers)

    const response = await app.inject({ method: 'GET', url: `/api/conversations${trailingSlash ? '/' : ''}`, headers })

    t.equal(response.statusCode, 200)
    t.equal(response.json().items.length, 1)
  })

  for (const { method, status, payload } of routes) {
    t.test(`${method} on one conversation answers ${status} ${slash} the trailing slash`, async (t) => {
      const { app } = await build(t)
      const { headers } = await signUp(app)
      const conversationId = await startConversation(app, headers)

      const url = conversationUrl(conversationId, trailingSlash)
      const response = await app.inject({ method, url, headers, ...(payload && { payload }) })

      t.equal(response.statusCode, status, response.body)
    })
  }
}
