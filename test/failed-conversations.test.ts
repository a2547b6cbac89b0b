import type Database from 'better-sqlite3'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { AiReply } from '../src/ai/provider.js'
import type { App } from '../src/app.js'
import { build, countChats, ledgerMismatches, providerFrom, signUp } from './helper.js'

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

function conversationIds(db: Database.Database) {
  return (db.prepare('select id from conversations').all() as Array<{ id: number }>).map(({ id }) => id)
}

function chatRows(db: Database.Database) {
  return db.prepare('select id, conversation_id, status from chats order by id').all()
}

t.test('a failed first message leaves no conversation behind; the failed chat and its refund stay', async (t) => {
  const { app, db, headers, holding } = await buildWithHeldReplies(t)
  const first = sendChat(app, headers, 'hello')
  const [reply] = await holding(1)
  t.same(conversationIds(db), [1], 'the reservation started a conversation')

  reply!.fail()

  t.equal((await first).statusCode, 502)
  const listed = await app.inject({ method: 'GET', url: '/api/conversations/', headers })
  t.same(listed.json().items, [])
  t.same(conversationIds(db), [])
  t.same(chatRows(db), [{ id: 1, conversation_id: null, status: 'failed' }])
  t.same(db.prepare('select reason, delta from ledger where chat_id = 1 order by id').all(), [
    { reason: 'chat', delta: -100 },
    { reason: 'refund', delta: 100 }
  ])
  t.same(ledgerMismatches(db), [])
})

t.test('a message sent into the new conversation before the first one is refunded keeps it', async (t) => {
  const { app, db, headers, holding } = await buildWithHeldReplies(t)
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
  t.same(chatRows(db), [
    { id: 1, conversation_id: 1, status: 'failed' },
    { id: 2, conversation_id: 1, status: 'completed' }
  ])
  t.same(ledgerMismatches(db), [])
})

t.test('a message sent into the conversation after its first message was refunded finds it gone', async (t) => {
  const { app, db, headers, holding } = await buildWithHeldReplies(t)
  const first = sendChat(app, headers, 'hello')
  const [reply] = await holding(1)
  reply!.fail()
  await first

  const late = await sendChat(app, headers, 'are you there?', 1)

  t.equal(late.statusCode, 404)
  t.match(late.json(), { code: 'conversation_not_found' })
  t.equal(countChats(db), 1, 'nothing reserved')
  const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  t.equal(balance.json().tokens, 4000)
})
