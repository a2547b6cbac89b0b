import t from 'tap'
import { backends } from './backends.js'
import { assertBooksBalance, createUser, reservation, reserved, settlement } from './fixtures.js'

const KEY = { operation: 'chat', key: 'key-1' }

for (const backend of backends) {
  t.test(
    `${backend.name}: a reservation debits the cost and records a pending chat in a new conversation`,
    async (t) => {
      const { store, state } = await backend.open(t)
      const userId = await createUser(store, 'alice', 1000)
      const result = await store.reserveChat(reservation(userId, { hold: 30, newConversationTitle: 'Paris', now: 5 }))
      t.match(result, { reserved: true, remainingTokens: 970 })
      if (!result.reserved) return
      t.match(await state.chats(), [
        {
          id: result.chatId,
          userId,
          conversationId: result.conversationId,
          status: 'pending',
          cost: 30,
          response: null
        }
      ])
      t.match(await state.conversations(), [{ id: result.conversationId, userId, title: 'Paris', createdAt: 5 }])
      t.match((await state.ledger('alice')).at(-1), {
        delta: -30,
        reason: 'chat',
        chatId: result.chatId,
        balanceAfter: 970
      })
      t.same(await store.getBalance(userId), { username: 'alice', tokens: 970 })
      await assertBooksBalance(t, store, state)
    }
  )

  t.test(`${backend.name}: a reservation into an owned conversation records the activity there`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const first = await reserved(store, userId, { now: 10 })
    const second = await reserved(store, userId, { conversationId: first.conversationId, now: 20 })
    t.equal(second.conversationId, first.conversationId)
    t.match(await state.conversations(), [{ id: first.conversationId, createdAt: 10, updatedAt: 20 }])
  })

  t.test(`${backend.name}: a reservation into a conversation the user does not own changes nothing`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const { conversationId } = await reserved(store, bob)
    const ledgerBefore = await state.ledger()
    t.same(await store.reserveChat(reservation(alice, { conversationId })), {
      reserved: false,
      reason: 'conversation_not_found'
    })
    t.same(await store.reserveChat(reservation(alice, { conversationId: conversationId + 1000 })), {
      reserved: false,
      reason: 'conversation_not_found'
    })
    t.same(await state.ledger(), ledgerBefore)
    t.equal(await state.countChats(), 1)
  })

  t.test(`${backend.name}: a reservation the balance does not cover is refused and debits nothing`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 25)
    await reserved(store, userId, { hold: 20 })
    t.same(await store.reserveChat(reservation(userId, { hold: 10 })), {
      reserved: false,
      reason: 'insufficient_tokens',
      balance: 5
    })
    t.equal((await state.user('alice')).tokens, 5, 'never below zero')
    t.equal(await state.countChats(), 1)
    t.equal(await state.conversations().then((rows) => rows.length), 1, 'no conversation for the refused one')
    await assertBooksBalance(t, store, state)
  })

  t.test(
    `${backend.name}: of 200 simultaneous reservations on a balance that covers 150, from two instances, exactly 150 succeed`,
    async (t) => {
      const { store, state, openAnother } = await backend.open(t)
      const other = await openAnother()
      const userId = await createUser(store, 'alice', 1500)
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? other : store).reserveChat(reservation(userId, { hold: 10 })))
      )
      const succeeded = results.filter((result) => result.reserved)
      t.equal(succeeded.length, 150)
      t.ok(
        results.every((result) => result.reserved || result.reason === 'insufficient_tokens'),
        'the others found the balance spent'
      )
      t.same(
        succeeded.map((result) => result.remainingTokens).sort((a, b) => a - b),
        Array.from({ length: 150 }, (_, i) => i * 10),
        'each success saw the balance its predecessors left'
      )
      t.equal((await state.user('alice')).tokens, 0)
      t.equal(await state.countChats('pending'), 150)
      const ledger = await state.ledger('alice')
      t.equal(ledger.length, 151, 'the signup and one row per reservation')
      t.ok(
        ledger.slice(1).every((row) => row.reason === 'chat' && row.delta === -10),
        'every reservation row debits the cost'
      )
      await assertBooksBalance(t, store, state)
    }
  )

  t.test(`${backend.name}: a settlement stores the reply and keeps the cost, once`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 100)
    const { chatId, conversationId } = await reserved(store, userId, { hold: 10, message: 'hi', now: 7 })
    const settled = await store.settleChat(settlement(chatId, { status: 'incomplete', response: 'partial' }))
    t.same(settled, {
      id: chatId,
      conversationId,
      message: 'hi',
      response: 'partial',
      status: 'incomplete',
      model: 'test-model',
      upstreamModel: 'test-model',
      promptTokens: 3,
      cachedTokens: 0,
      completionTokens: 5,
      usageSource: 'provider',
      cost: 10,
      createdAt: 7,
      remainingTokens: undefined
    })
    t.equal(await store.settleChat(settlement(chatId)), undefined, 'a second settlement is refused')
    t.equal(await store.refundChat({ chatId, reason: 'late failure', now: Date.now() }), false, 'and so is a refund')
    t.match(await state.chats(), [{ status: 'incomplete', response: 'partial', failureReason: null }])
    t.equal((await state.user('alice')).tokens, 90)
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: a refund credits the cost back once, and a refunded chat is never settled`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 100)
    const { chatId } = await reserved(store, userId, { hold: 10 })
    t.equal(await store.refundChat({ chatId, reason: 'provider failed', now: Date.now() }), true)
    t.equal(await store.refundChat({ chatId, reason: 'again', now: Date.now() }), false)
    t.equal(await store.settleChat(settlement(chatId)), undefined)
    t.match(await state.chats(), [{ status: 'failed', response: null, failureReason: 'provider failed' }])
    t.match((await state.ledger('alice')).slice(1), [
      { reason: 'chat', delta: -10, chatId, balanceAfter: 90 },
      { reason: 'refund', delta: 10, chatId, balanceAfter: 100 }
    ])
    t.equal((await state.ledger('alice')).length, 3, 'one refund row')
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: of a simultaneous settlement and refund of one chat, exactly one happens`, async (t) => {
    const { store, state, openAnother } = await backend.open(t)
    const other = await openAnother()
    const userId = await createUser(store, 'alice', 100)
    const { chatId } = await reserved(store, userId, { hold: 10 })
    const [settled, refunded] = await Promise.all([
      store.settleChat(settlement(chatId)),
      other.refundChat({ chatId, reason: 'timed out', now: Date.now() })
    ])
    const refundWon = refunded
    t.equal(settled !== undefined, !refundWon, 'the settlement succeeded exactly when the refund did not')
    t.equal((await state.user('alice')).tokens, refundWon ? 100 : 90)
    t.equal((await state.ledger('alice')).length, refundWon ? 3 : 2)
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: a refund releases the Idempotency-Key bound to the chat`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const scope = { userId, ...KEY }
    const begin = { ...scope, requestHash: 'h', expiredBefore: 0, now: Date.now() }
    t.same(await store.beginIdempotentRequest(begin), { state: 'claimed' })
    const { chatId } = await reserved(store, userId, { idempotencyKey: scope })
    t.match(await state.idempotencyKeys(), [{ ...scope, chatId, responseStatus: null }], 'bound to the chat')
    t.equal(await store.refundChat({ chatId, reason: 'failed', now: Date.now() }), true)
    t.same(await state.idempotencyKeys(), [], 'released with the refund')
    t.same(await store.beginIdempotentRequest(begin), { state: 'claimed' }, 'so that a retry runs afresh')
  })

  t.test(`${backend.name}: a refund keeps a key whose answer is stored`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const scope = { userId, ...KEY }
    await store.beginIdempotentRequest({ ...scope, requestHash: 'h', expiredBefore: 0, now: Date.now() })
    const { chatId } = await reserved(store, userId, { idempotencyKey: scope })
    await store.completeIdempotentRequest(scope, { status: 502, body: '{"code":"upstream_error"}' })
    await store.refundChat({ chatId, reason: 'failed', now: Date.now() })
    t.match(await state.idempotencyKeys(), [{ ...scope, chatId, responseStatus: 502 }])
  })
}
