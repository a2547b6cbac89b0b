import t from 'tap'
import { backends } from './backends.js'
import { assertBooksBalance, createUser, reservation, reserved, settlement } from './fixtures.js'

const TRIALS = 50

for (const backend of backends) {
  t.test(`${backend.name}: conversations are listed by last activity, a keyset page at a time`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const first = await reserved(store, alice, { newConversationTitle: 'first', now: 10 })
    const second = await reserved(store, alice, { newConversationTitle: 'second', now: 20 })
    const third = await reserved(store, alice, { newConversationTitle: 'third', now: 20 })
    await reserved(store, bob, { now: 30 })
    await store.settleChat(settlement(first.chatId))
    await store.refundChat({ chatId: second.chatId, reason: 'failed', now: 21 })
    const page = await store.listConversations({ userId: alice, after: undefined, limit: 2 })
    t.same(page, [
      { id: third.conversationId, title: 'third', messageCount: 0, createdAt: 20, updatedAt: 20 },
      { id: first.conversationId, title: 'first', messageCount: 1, createdAt: 10, updatedAt: 10 }
    ])
    t.same(
      await store.listConversations({ userId: alice, after: page[0], limit: 2 }),
      [page[1]],
      'the next page starts after the last one seen; the refund of its only chat removed the second conversation'
    )
    t.same(await store.listConversations({ userId: alice, after: page[1], limit: 2 }), [])
    t.same(await store.findConversation(alice, first.conversationId), page[1])
    t.equal(await store.findConversation(bob, first.conversationId), undefined, 'not to another user')
  })

  t.test(`${backend.name}: only the owner renames a conversation`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const { conversationId } = await reserved(store, alice, { newConversationTitle: 'old', now: 5 })
    t.match(await store.renameConversation({ userId: alice, conversationId, title: 'new' }), {
      id: conversationId,
      title: 'new',
      updatedAt: 5
    })
    t.equal(await store.renameConversation({ userId: bob, conversationId, title: 'mine' }), undefined)
    t.match(await state.conversations(), [{ title: 'new' }])
  })

  t.test(`${backend.name}: deleting a conversation deletes its chats and keeps the ledger`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const doomed = await reserved(store, alice)
    await store.settleChat(settlement(doomed.chatId))
    const kept = await reserved(store, alice)
    await store.settleChat(settlement(kept.chatId))
    const ledger = await state.ledger()
    t.equal(await store.deleteConversation(bob, doomed.conversationId), 'not_found', 'not by another user')
    t.equal(await store.deleteConversation(alice, doomed.conversationId), 'deleted')
    t.equal(await store.deleteConversation(alice, doomed.conversationId), 'not_found')
    t.same(
      (await state.conversations()).map(({ id }) => id),
      [kept.conversationId]
    )
    t.same(
      (await state.chats()).map(({ id }) => id),
      [kept.chatId]
    )
    t.same(await state.ledger(), ledger)
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: a conversation with a reply on its way is busy and kept`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const { conversationId, chatId } = await reserved(store, alice)
    t.equal(await store.deleteConversation(alice, conversationId), 'busy')
    t.equal(await state.countChats('pending'), 1)
    await store.settleChat(settlement(chatId))
    t.equal(await store.deleteConversation(alice, conversationId), 'deleted')
  })

  t.test(
    `${backend.name}: a delete racing a reservation into the conversation either finds it busy or leaves the reservation nothing to find`,
    async (t) => {
      const { store, state, openAnother } = await backend.open(t)
      const other = await openAnother()
      const alice = await createUser(store, 'alice', 100 * TRIALS)
      for (let trial = 0; trial < TRIALS; trial++) {
        const { conversationId, chatId } = await reserved(store, alice)
        await store.settleChat(settlement(chatId))
        const balance = (await state.user('alice')).tokens
        const reserve = () => other.reserveChat(reservation(alice, { conversationId }))
        const remove = () => store.deleteConversation(alice, conversationId)
        // Each goes first in half the trials.
        const [reservedInto, deleted] =
          trial % 2
            ? await Promise.all([reserve(), remove()])
            : await Promise.all([remove(), reserve()]).then(
                ([deleted, reservedInto]) => [reservedInto, deleted] as const
              )
        const conversation = await store.findConversation(alice, conversationId)
        if (reservedInto.reserved) {
          t.equal(deleted, 'busy', `trial ${trial}: the reservation came first`)
          t.ok(conversation, 'the conversation is kept')
          t.equal((await state.user('alice')).tokens, balance - 10)
          await store.settleChat(settlement(reservedInto.chatId))
        } else {
          t.same(
            [reservedInto, deleted],
            [{ reserved: false, reason: 'conversation_not_found' }, 'deleted'],
            `trial ${trial}`
          )
          t.equal(conversation, undefined)
          t.equal((await state.user('alice')).tokens, balance, 'nothing was debited')
        }
      }
      t.equal(await state.countChats('pending'), 0, 'no reservation was left in a deleted conversation')
      await assertBooksBalance(t, store, state)
    }
  )
}
