import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { AiReply } from '../src/ai/provider.js'
import type { App } from '../src/app.js'
import { build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

type Headers = Record<string, string>

interface HeldReply {
  answer: (text: string) => void
  fail: () => void
}

/** An app whose provider holds every reply until the test answers or fails it, in the order they were asked. */
async function buildWithHeldReplies(t: Test) {
  const held: HeldReply[] = []
  const provider = providerFrom(
    'held',
    () =>
      new Promise<AiReply>((resolve, reject) =>
        held.push({
          answer: (text) => resolve({ text, model: 'held', usage: null }),
          fail: () => reject(new Error('the model is down'))
        })
      )
  )
  const built = await build(t, {}, { provider })
  const { headers } = await signUp(built.app)
  /** Waits until the provider holds `count` replies; the tap timeout bounds the wait. */
  const holding = async (count: number) => {
    while (held.length < count) await sleep(5)
    return held
  }
  return { ...built, headers, holding }
}

function sendChat(app: App, headers: Headers, message: string, conversationId?: number) {
  const payload = conversationId === undefined ? { message } : { message, conversation_id: conversationId }
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload })
}

async function conversationIds(state: StoredState) {
  return (await state.conversations()).map(({ id }) => id)
}

async function chatRows(state: StoredState) {
  return (await state.chats()).map(({ id, conversationId, status }) => ({ id, conversationId, status }))
}

t.test('a failed first message leaves no conversation behind; the failed chat and its refund stay', async (t) => {
  const { app, state, headers, holding } = await buildWithHeldReplies(t)
  const first = sendChat(app, headers, 'hello')
  const [reply] = await holding(1)
  t.same(await conversationIds(state), [1], 'the reservation started a conversation')

  reply!.fail()

  t.equal((await first).statusCode, 502)
  const listed = await app.inject({ method: 'GET', url: '/api/conversations/', headers })
  t.same(listed.json().items, [])
  t.same(await conversationIds(state), [])
  t.same(await chatRows(state), [{ id: 1, conversationId: null, status: 'failed' }])
  const chatLedger = (await state.ledger()).filter(({ chatId }) => chatId === 1)
  t.same(
    chatLedger.map(({ reason, delta }) => ({ reason, delta })),
    [
      { reason: 'chat', delta: -100 },
      { reason: 'refund', delta: 100 }
    ]
  )
  t.same(await state.ledgerMismatches(), [])
})

t.test('a message sent into the new conversation before the first one is refunded keeps it', async (t) => {
  const { app, state, headers, holding } = await buildWithHeldReplies(t)
  const first = sendChat(app, headers, 'hello')
  await holding(1)
  const second = sendChat(app, headers, 'are you there?', 1)
  const [firstReply, secondReply] = await holding(2)

  firstReply!.fail()
  t.equal((await first).statusCode, 502)
  secondReply!.answer('yes')

  const answered = await second
  t.equal(answered.statusCode, 201)
  t.match(answered.json(), { conversation_id: 1, response: 'yes' })
  const listed = await app.inject({ method: 'GET', url: '/api/conversations/', headers })
  t.match(listed.json().items, [{ id: 1, message_count: 1 }])
  t.same(await chatRows(state), [
    { id: 1, conversationId: 1, status: 'failed' },
    { id: 2, conversationId: 1, status: 'completed' }
  ])
  t.same(await state.ledgerMismatches(), [])
})

t.test('a message sent into the conversation after its first message was refunded finds it gone', async (t) => {
  const { app, state, headers, holding } = await buildWithHeldReplies(t)
  const first = sendChat(app, headers, 'hello')
  const [reply] = await holding(1)
  reply!.fail()
  await first

  const late = await sendChat(app, headers, 'are you there?', 1)

  t.equal(late.statusCode, 404)
  t.match(late.json(), { code: 'conversation_not_found' })
  t.equal(await state.countChats(), 1, 'nothing reserved')
  const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  t.equal(balance.json().tokens, 4000)
})
