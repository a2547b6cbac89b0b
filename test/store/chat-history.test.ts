import t from 'tap'
import { backends } from './backends.js'
import { createUser, reserved, settlement } from './fixtures.js'

for (const backend of backends) {
  t.test(`${backend.name}: a conversation's context is its owner's answered exchanges, oldest first`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const first = await reserved(store, alice, { message: 'one' })
    const { conversationId } = first
    const context = (limit: number, userId = alice) => store.loadConversationContext({ userId, conversationId, limit })
    t.same(await context(10), [], 'nothing answered yet')
    await store.settleChat(settlement(first.chatId, { response: 'reply one' }))
    const failed = await reserved(store, alice, { conversationId, message: 'failed' })
    await store.refundChat({ chatId: failed.chatId, reason: 'failed', now: Date.now() })
    const partial = await reserved(store, alice, { conversationId, message: 'two' })
    await store.settleChat(settlement(partial.chatId, { status: 'incomplete', response: 'reply t' }))
    await reserved(store, alice, { conversationId, message: 'pending' })
    t.same(await context(10), [
      { message: 'one', response: 'reply one' },
      { message: 'two', response: 'reply t' }
    ])
    t.same(await context(1), [{ message: 'two', response: 'reply t' }], 'the last ones, when the limit cuts')
    t.same(await context(10, bob), [], 'none for another user')
  })

  t.test(
    `${backend.name}: a user's chats are listed newest first, visible ones only, a keyset page at a time`,
    async (t) => {
      const { store } = await backend.open(t)
      const alice = await createUser(store, 'alice')
      const bob = await createUser(store, 'bob')
      const one = await reserved(store, alice, { message: 'one', now: 1 })
      await store.settleChat(settlement(one.chatId))
      const two = await reserved(store, alice, { message: 'two', now: 2 })
      await store.settleChat(settlement(two.chatId, { status: 'incomplete', response: 'tw' }))
      const elsewhere = await reserved(store, alice, { message: 'three', now: 3 })
      await store.settleChat(settlement(elsewhere.chatId))
      const failed = await reserved(store, alice, { conversationId: one.conversationId })
      await store.refundChat({ chatId: failed.chatId, reason: 'failed', now: 4 })
      await reserved(store, alice, { conversationId: one.conversationId })
      const bobs = await reserved(store, bob)
      await store.settleChat(settlement(bobs.chatId))

      const ids = (chats: { id: number }[]) => chats.map(({ id }) => id)
      const page = await store.listChats({ userId: alice, beforeId: undefined, limit: 2 })
      t.same(ids(page), [elsewhere.chatId, two.chatId])
      t.same(ids(await store.listChats({ userId: alice, beforeId: two.chatId, limit: 2 })), [one.chatId])
      t.same(
        ids(
          await store.listChats({ userId: alice, conversationId: one.conversationId, beforeId: undefined, limit: 5 })
        ),
        [one.chatId]
      )
      t.same(
        await store.listChats({ userId: bob, conversationId: one.conversationId, beforeId: undefined, limit: 5 }),
        [],
        'not in another user’s conversation'
      )
      t.same(page[1], {
        id: two.chatId,
        conversationId: two.conversationId,
        message: 'two',
        response: 'tw',
        status: 'incomplete',
        model: 'test-model',
        upstreamModel: 'test-model',
        promptTokens: 3,
        cachedTokens: 0,
        completionTokens: 5,
        usageSource: 'provider',
        cost: 10,
        createdAt: 2
      })
      t.same(await store.findChat(alice, two.chatId), page[1])
      t.equal(await store.findChat(bob, two.chatId), undefined, 'not to another user')
      t.equal(await store.findChat(alice, failed.chatId), undefined, 'a failed chat is not shown')

      const four = await reserved(store, alice, { conversationId: one.conversationId, message: 'four', now: 5 })
      await store.settleChat(settlement(four.chatId))
      const inConversation = { userId: alice, conversationId: one.conversationId, limit: 1 }
      t.same(ids(await store.listChats({ ...inConversation, beforeId: undefined })), [four.chatId])
      t.same(ids(await store.listChats({ ...inConversation, beforeId: four.chatId })), [one.chatId], 'its older page')
    }
  )
}
