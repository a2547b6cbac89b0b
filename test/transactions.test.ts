import t from 'tap'
import { AiProviderError } from '../src/ai/errors.js'
import type { App } from '../src/app.js'
import type { Transaction } from '../src/modules/transactions/schemas.js'
import { adjustTokens, readAllPages, readPage as readPageOf, signUpAdmin } from './admin-helper.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

type Headers = Record<string, string>

const TRANSACTIONS = '/api/transactions/'

function listTransactions(app: App, headers: Headers, query: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url: TRANSACTIONS, headers, query })
}

function readPage(app: App, headers: Headers, query: Record<string, string> = {}) {
  return readPageOf<Transaction>(app, TRANSACTIONS, headers, query)
}

function sendChat(app: App, headers: Headers, message: string) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message } })
}

/** The user's ledger as the API should show it: newest first, without the user or the actor. */
async function storedTransactions(state: StoredState, usernameKey: string): Promise<Transaction[]> {
  const rows = (await state.ledger(usernameKey)).reverse()
  const chats = await state.chats()
  return rows.map(({ id, delta, reason, chatId, balanceAfter, note, createdAt }) => {
    const chat = chats.find((row) => row.id === chatId && (row.status === 'completed' || row.status === 'incomplete'))
    return {
      id,
      delta,
      reason: reason as Transaction['reason'],
      chat_id: chatId,
      balance_after: balanceAfter,
      note,
      timestamp: new Date(createdAt).toISOString(),
      chat: chat
        ? {
            model: chat.model,
            api_key_id: chat.apiKeyId,
            cost: chat.cost,
            usage:
              chat.promptTokens === null || chat.completionTokens === null
                ? null
                : {
                    prompt_tokens: chat.promptTokens,
                    cached_tokens: chat.cachedTokens ?? 0,
                    completion_tokens: chat.completionTokens
                  },
            usage_source: chat.usageSource
          }
        : null
    }
  })
}

t.test('a new user has one transaction: the signup balance', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const page = await readPage(app, headers)
  const created = { created_at: (await state.user('alice')).createdAt }
  t.same(page, {
    items: [
      {
        id: page.items[0]!.id,
        delta: 4000,
        reason: 'signup',
        chat_id: null,
        balance_after: 4000,
        note: null,
        timestamp: new Date(created.created_at).toISOString(),
        chat: null
      }
    ],
    next_cursor: null
  })
})

t.test('a chat charge, a refund and a grant appear newest first with the balance after each', async (t) => {
  let fail = false
  const provider = providerFrom('scripted', async () => {
    if (fail) throw new AiProviderError('error', 'scripted failure')
    return { text: 'Paris', model: 'scripted', usage: null }
  })
  const { app, state } = await build(t, {}, { provider })
  const { headers } = await signUp(app)
  const admin = await signUpAdmin(app)

  const answered = (await sendChat(app, headers, 'What is the capital of France?')).json()
  fail = true
  t.equal((await sendChat(app, headers, 'And of Spain?')).statusCode, 502)
  const refundedChatId = (await state.chats()).find(({ status }) => status === 'failed')!.id
  await adjustTokens(app, admin.headers, 'alice', { amount: 250, note: 'Sorry about the outage' })

  const page = await readPage(app, headers)
  t.match(page.items, [
    { delta: 250, reason: 'grant', chat_id: null, balance_after: 4150, note: 'Sorry about the outage' },
    { delta: 100, reason: 'refund', chat_id: refundedChatId, balance_after: 3900, note: null },
    { delta: -100, reason: 'chat', chat_id: refundedChatId, balance_after: 3800, note: null },
    { delta: -100, reason: 'chat', chat_id: answered.id, balance_after: 3900, note: null },
    { delta: 4000, reason: 'signup', chat_id: null, balance_after: 4000, note: null }
  ])
  t.same(page.items, await storedTransactions(state, 'alice'), 'every field as stored')
  t.same(await state.ledgerMismatches(), [])
})

t.test('a transaction shows neither the user nor the administrator who made it', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const admin = await signUpAdmin(app)
  await adjustTokens(app, admin.headers, 'alice', { amount: -300, note: 'Chargeback' })
  const [debit] = (await readPage(app, headers)).items
  t.same(Object.keys(debit!).sort(), ['balance_after', 'chat', 'chat_id', 'delta', 'id', 'note', 'reason', 'timestamp'])
  t.match(debit, { delta: -300, reason: 'debit', balance_after: 3700, note: 'Chargeback' })
})

t.test('pages follow next_cursor newest first until it is null, each entry exactly once', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  for (let index = 0; index < 6; index++) await sendChat(app, headers, `message ${index}`)

  const pages = await readAllPages<Transaction>(app, TRANSACTIONS, headers, { limit: '3' })
  t.same(
    pages.map((page) => page.items.length),
    [3, 3, 1]
  )
  t.equal(pages[0]!.next_cursor, String(pages[0]!.items[2]!.id), 'the cursor is the last id shown')
  t.same(
    pages.flatMap((page) => page.items),
    await storedTransactions(state, 'alice')
  )
})

t.test('the default page holds 20 entries', async (t) => {
  const { app } = await build(t, { INITIAL_TOKENS: '10000' })
  const { headers } = await signUp(app)
  for (let index = 0; index < 21; index++) await sendChat(app, headers, `message ${index}`)
  const page = await readPage(app, headers)
  t.equal(page.items.length, 20)
  t.not(page.next_cursor, null)
})

t.test('each user sees only their own transactions', async (t) => {
  const { app, state } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  await sendChat(app, alice.headers, 'only mine')
  const bobs = await readPage(app, bob.headers)
  t.same(bobs.items, await storedTransactions(state, 'bob'))
  t.same(
    bobs.items.map((item) => item.reason),
    ['signup']
  )
  const aliceCursor = String((await storedTransactions(state, 'alice'))[0]!.id + 1)
  t.same((await readPage(app, bob.headers, { cursor: aliceCursor })).items, bobs.items, 'a cursor reveals nothing')
})

t.test('listing transactions needs an access token', async (t) => {
  const { app } = await build(t)
  const response = await listTransactions(app, {})
  assertProblem(t, response, { status: 401, code: 'not_authenticated', instance: '/api/transactions/' })
})

t.test('a bad cursor or limit is 400', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const queries: Record<string, string>[] = [
    { cursor: '0' },
    { cursor: 'abc' },
    { limit: '0' },
    { limit: '101' },
    { limit: 'ten' }
  ]
  for (const query of queries) {
    const response = await listTransactions(app, headers, query)
    t.equal(response.statusCode, 400, JSON.stringify(query))
    t.equal(response.json().code, 'validation_failed')
  }
})
