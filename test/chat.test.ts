import t from 'tap'
import type { App } from '../src/app.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

type Headers = Record<string, string>

function sendChat(app: App, headers: Headers, payload: unknown) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: payload as object })
}

async function balanceOf(app: App, headers: Headers): Promise<number> {
  const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  return response.json().tokens
}

async function chatRow(state: StoredState, chatId: number) {
  return (await state.chats()).find(({ id }) => id === chatId)
}

async function ledgerRows(state: StoredState) {
  return (await state.ledger()).map(({ reason, delta, balanceAfter, chatId }) => ({
    reason,
    delta,
    balanceAfter,
    chatId
  }))
}

/** What a message could have charged: the balance, the chats and the ledger. */
async function accountState(state: StoredState) {
  return {
    tokens: (await state.users())[0]!.tokens,
    chats: { n: await state.countChats() },
    ledger: await ledgerRows(state)
  }
}

t.test('a chat message is answered with the stored chat, its conversation and the remaining tokens', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)

  const response = await sendChat(app, headers, { message: 'What is the capital of France?' })

  t.equal(response.statusCode, 201)
  const body = response.json()
  const stored = (await chatRow(state, body.id))!
  t.same(body, {
    id: body.id,
    conversation_id: stored.conversationId,
    message: 'What is the capital of France?',
    response: stored.response,
    status: 'completed',
    timestamp: new Date(stored.createdAt).toISOString(),
    cost: 100,
    model: 'offline',
    upstream_model: 'offline',
    usage: null,
    usage_source: 'none',
    remaining_tokens: 3900
  })
  t.ok(stored.conversationId, 'the message started a conversation')
})

t.test('the offline provider answers deterministically and says that it is offline', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)

  const first = (await sendChat(app, headers, { message: 'hello there' })).json()
  const second = (await sendChat(app, headers, { message: 'hello there' })).json()

  t.match(first.response, /^\[offline reply\] /)
  t.match(first.response, /No AI model is configured/)
  t.ok(first.response.endsWith('hello there'), 'the reply quotes the message')
  t.equal(second.response, first.response)
})

t.test('a chat message debits the balance shown by the balance endpoint', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)

  await sendChat(app, headers, { message: 'hi' })

  t.equal(await balanceOf(app, headers), 3900)
})

t.test('a chat message is stored as one completed chat with a signup and a chat ledger row', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)

  const { id } = (await sendChat(app, headers, { message: 'hi' })).json()

  t.match(await state.chats(), [{ id, status: 'completed', cost: 100, response: /^\[offline reply\]/ }])
  t.same(await ledgerRows(state), [
    { reason: 'signup', delta: 4000, balanceAfter: 4000, chatId: null },
    { reason: 'chat', delta: -100, balanceAfter: 3900, chatId: id }
  ])
  t.same(await state.ledgerMismatches(), [])
})

t.test('a message that the balance does not cover is refused with 402 and charges nothing', async (t) => {
  const { app, state } = await build(t, { INITIAL_TOKENS: '250', CHAT_COST: '100' })
  const { headers } = await signUp(app)

  t.equal((await sendChat(app, headers, { message: 'one' })).json().remaining_tokens, 150)
  t.equal((await sendChat(app, headers, { message: 'two' })).json().remaining_tokens, 50)
  const before = await accountState(state)
  const refused = await sendChat(app, headers, { message: 'three' })

  assertProblem(t, refused, {
    status: 402,
    code: 'insufficient_tokens',
    instance: '/api/chat_msg/',
    extensions: { balance: 50, cost: 100 }
  })
  t.same(await accountState(state), before)
  t.equal(await balanceOf(app, headers), 50)
  t.same(await state.ledgerMismatches(), [])
})

t.test('a user who starts with no tokens is refused their first message', async (t) => {
  const { app, state } = await build(t, { INITIAL_TOKENS: '0' })
  const { headers } = await signUp(app)

  const refused = await sendChat(app, headers, { message: 'hello' })

  t.equal(refused.statusCode, 402)
  t.match(refused.json(), { code: 'insufficient_tokens', balance: 0, cost: 100 })
  t.same(await accountState(state), {
    tokens: 0,
    chats: { n: 0 },
    ledger: [{ reason: 'signup', delta: 0, balanceAfter: 0, chatId: null }]
  })
})

t.test('the cost of a message follows CHAT_COST', async (t) => {
  const { app, state } = await build(t, { CHAT_COST: '7' })
  const { headers } = await signUp(app)

  const { id, remaining_tokens } = (await sendChat(app, headers, { message: 'hi' })).json()

  t.equal(remaining_tokens, 3993)
  t.equal((await chatRow(state, id))!.cost, 7)
})

t.test('a message of exactly 8000 characters is accepted', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)

  const response = await sendChat(app, headers, { message: 'a'.repeat(8000) })

  t.equal(response.statusCode, 201)
  t.equal(response.json().message.length, 8000)
})

const invalidBodies = [
  { name: 'an empty message', payload: { message: '' }, pointer: '#/message' },
  { name: 'a whitespace-only message', payload: { message: '   \n\t' }, pointer: '#/message' },
  { name: 'a message of 8001 characters', payload: { message: 'a'.repeat(8001) }, pointer: '#/message' },
  { name: 'a number instead of a message', payload: { message: 42 }, pointer: '#/message' },
  { name: 'a body without a message', payload: {}, pointer: '#/message' },
  { name: 'a body with an extra property', payload: { message: 'hi', extra: true }, pointer: '#/extra' },
  { name: 'a NUL character in the message', payload: { message: 'before\u0000after' }, pointer: '#/message' }
]

for (const { name, payload, pointer } of invalidBodies) {
  t.test(`${name} is refused with 400 and charges nothing`, async (t) => {
    const { app, state } = await build(t)
    const { headers } = await signUp(app)
    const before = await accountState(state)

    const response = await sendChat(app, headers, payload)

    t.equal(response.statusCode, 400)
    t.match(response.json(), { status: 400, code: 'validation_failed', errors: [{ pointer, location: 'body' }] })
    t.same(await accountState(state), before)
  })
}

t.test('a message without an access token is refused with 401 and charges nothing', async (t) => {
  const { app, state } = await build(t)
  await signUp(app)
  const before = await accountState(state)

  const response = await sendChat(app, {}, { message: 'hi' })

  t.equal(response.statusCode, 401)
  t.match(response.json(), { status: 401, code: 'not_authenticated' })
  t.same(await accountState(state), before)
})

const unusualMessages = [
  { name: 'emoji', message: '😀👍🏽' },
  { name: 'SQL-looking text', message: "'); DROP TABLE users; --" },
  { name: 'right-to-left text', message: 'שלום עולם \u200F مرحبا بالعالم' }
]

for (const { name, message } of unusualMessages) {
  t.test(`a message with ${name} is stored and returned verbatim`, async (t) => {
    const { app, state } = await build(t)
    const { headers } = await signUp(app)

    const response = await sendChat(app, headers, { message })

    t.equal(response.statusCode, 201)
    const body = response.json()
    t.equal(body.message, message)
    t.ok(body.response.endsWith(message), 'the reply quotes the message verbatim')
    t.equal((await chatRow(state, body.id))!.message, message)
    t.equal((await state.users()).length, 1)
  })
}

t.test('a NUL in a reply is stored and returned as U+FFFD, whole or streamed', async (t) => {
  const provider = providerFrom('nul', async () => ({ text: 'before\u0000after', model: 'nul', usage: null }))
  const { app, state } = await build(t, {}, { provider })
  const { headers } = await signUp(app)

  const whole = (await sendChat(app, headers, { message: 'hi' })).json()
  const streamed = await app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: { ...headers, accept: 'text/event-stream' },
    payload: { message: 'hi again' }
  })

  t.equal(whole.response, 'before\uFFFDafter')
  t.notOk(streamed.body.includes('\\u0000'), 'no NUL is streamed')
  t.same(
    (await state.chats()).map((chat) => chat.response),
    ['before\uFFFDafter', 'before\uFFFDafter']
  )
})
