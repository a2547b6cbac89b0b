import t from 'tap'
import { backends } from './backends.js'
import { assertBooksBalance, createUser, HOLDER, HOUR, reserved, settlement } from './fixtures.js'

const REASON = 'its lease expired'

for (const backend of backends) {
  t.test(`${backend.name}: refundExpiredChats refunds exactly the pending chats whose lease has expired`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 100)
    const expired = await reserved(store, userId, { lease: { holder: HOLDER, expiresAt: 1000 } })
    const settled = await reserved(store, userId, { lease: { holder: HOLDER, expiresAt: 1000 } })
    await store.settleChat(settlement(settled.chatId))
    const live = await reserved(store, userId, { lease: { holder: HOLDER, expiresAt: 3000 } })

    t.same(await store.refundExpiredChats(REASON, 2000), [expired.chatId])

    t.match(
      (await state.chats()).map(({ id, status, failureReason }) => ({ id, status, failureReason })),
      [
        { id: expired.chatId, status: 'failed', failureReason: REASON },
        { id: settled.chatId, status: 'completed' },
        { id: live.chatId, status: 'pending' }
      ]
    )
    t.same(await store.refundExpiredChats(REASON, 2000), [], 'idempotent: a refunded chat is not refunded again')
    t.same(await store.getBalance(userId), { username: 'alice', tokens: 80 })
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: recovery's refund releases the chat's Idempotency-Key in its transaction`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const scope = { userId, operation: 'chat', key: 'kill-nine' }
    await store.beginIdempotentRequest({ ...scope, requestHash: 'h', expiredBefore: 0, now: 1 })
    await reserved(store, userId, { idempotencyKey: scope, lease: { holder: HOLDER, expiresAt: 1000 } })

    await store.refundExpiredChats(REASON, 2000)

    t.same(await state.idempotencyKeys(), [])
    t.same(await store.beginIdempotentRequest({ ...scope, requestHash: 'h', expiredBefore: 0, now: 3 }), {
      state: 'claimed'
    })
  })

  t.test(`${backend.name}: renewChatLeases extends only the holder's pending chats among those named`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const mine = await reserved(store, userId, { lease: { holder: HOLDER, expiresAt: 1000 } })
    const theirs = await reserved(store, userId, { lease: { holder: 'another instance', expiresAt: 1000 } })
    const settled = await reserved(store, userId, { lease: { holder: HOLDER, expiresAt: 1000 } })
    await store.settleChat(settlement(settled.chatId))
    const unnamed = await reserved(store, userId, { lease: { holder: HOLDER, expiresAt: 1000 } })

    t.equal(await store.renewChatLeases(HOLDER, [mine.chatId, theirs.chatId, settled.chatId], 5000), 1)

    const leases = new Map((await state.chats()).map((chat) => [chat.id, chat.leaseExpiresAt]))
    t.equal(leases.get(mine.chatId), 5000)
    t.equal(leases.get(theirs.chatId), 1000, "another instance's lease is its own")
    t.equal(leases.get(unnamed.chatId), 1000, 'a chat not named is not renewed')
    t.same(await store.refundExpiredChats(REASON, 2000), [theirs.chatId, unnamed.chatId])
    t.equal(await store.renewChatLeases(HOLDER, [unnamed.chatId], 9000), 0, 'a refunded chat stays refunded')
  })

  t.test(
    `${backend.name}: a renewal racing the refund of an expired lease either keeps the chat or finds it refunded`,
    async (t) => {
      const { store, state, openAnother } = await backend.open(t)
      const recovering = await openAnother()
      const userId = await createUser(store, 'alice', 100 * 10)
      for (let trial = 0; trial < 20; trial++) {
        const chat = await reserved(store, userId, { lease: { holder: HOLDER, expiresAt: 1000 } })
        const renew = () => store.renewChatLeases(HOLDER, [chat.chatId], Date.now() + HOUR)
        const recover = () => recovering.refundExpiredChats(REASON, 2000)
        // Both calls are started before either is awaited, in turns of which starts first.
        const [renewed, refunded] =
          trial % 2 === 0
            ? await Promise.all([renew(), recover()])
            : await (async () => {
                const recovery = recover()
                return Promise.all([renew(), recovery])
              })()
        const status = (await state.chats()).find(({ id }) => id === chat.chatId)!.status
        if (renewed === 1) {
          t.same(refunded, [], `trial ${trial}: the renewal came first, so the chat was kept`)
          t.equal(status, 'pending')
          await store.settleChat(settlement(chat.chatId))
        } else {
          t.same(refunded, [chat.chatId], `trial ${trial}: the refund came first, so the renewal found nothing`)
          t.equal(status, 'failed')
        }
      }
      await assertBooksBalance(t, store, state)
    }
  )

  t.test(
    `${backend.name}: the refund of the chat that started a conversation removes the empty conversation`,
    async (t) => {
      const { store, state } = await backend.open(t)
      const userId = await createUser(store, 'alice')
      const first = await reserved(store, userId)

      t.equal(await store.refundChat({ chatId: first.chatId, reason: 'the model is down', now: Date.now() }), true)

      t.same(await state.conversations(), [])
      t.match(await state.chats(), [{ id: first.chatId, conversationId: null, status: 'failed' }])
      await assertBooksBalance(t, store, state)
    }
  )

  t.test(
    `${backend.name}: a conversation with another chat on its way is kept when its first chat is refunded`,
    async (t) => {
      const { store, state } = await backend.open(t)
      const userId = await createUser(store, 'alice')
      const first = await reserved(store, userId)
      const second = await reserved(store, userId, { conversationId: first.conversationId })

      await store.refundChat({ chatId: first.chatId, reason: 'the model is down', now: Date.now() })

      t.match(await state.conversations(), [{ id: first.conversationId }])
      t.match(await state.chats(), [
        { id: first.chatId, conversationId: first.conversationId, status: 'failed' },
        { id: second.chatId, conversationId: first.conversationId, status: 'pending' }
      ])
    }
  )
}
