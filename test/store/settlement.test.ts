import t from 'tap'
import { DAY_MS } from '../../src/db/storage-rules.js'
import { backends } from './backends.js'
import { assertBooksBalance, createUser, reserved, settlement } from './fixtures.js'

for (const backend of backends) {
  t.test(`${backend.name}: a settlement below the hold keeps the charge and credits the rest back`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const { chatId } = await reserved(store, userId, { hold: 300, now: 5 })
    const settled = await store.settleChat(settlement(chatId, { cost: 42, now: 9 }))
    t.match(settled, { id: chatId, cost: 42, remainingTokens: 958, usageSource: 'provider' })
    t.match(await state.chats(), [{ id: chatId, hold: 300, cost: 42, status: 'completed' }])
    t.match((await state.ledger('alice')).slice(1), [
      { reason: 'chat', delta: -300, chatId, balanceAfter: 700 },
      { reason: 'settle', delta: 258, chatId, balanceAfter: 958, createdAt: 9 }
    ])
    t.equal((await state.user('alice')).tokens, 958)
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: a settlement of the whole hold writes no settle row`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const { chatId } = await reserved(store, userId, { hold: 100 })
    t.match(await store.settleChat(settlement(chatId, { cost: 100, usage: { source: 'none' } })), {
      cost: 100,
      remainingTokens: undefined,
      usageSource: 'none',
      promptTokens: null,
      cachedTokens: null,
      completionTokens: null
    })
    t.same(
      (await state.ledger('alice')).map((row) => row.reason),
      ['signup', 'chat']
    )
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: a settlement of zero keeps nothing of the hold`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const { chatId } = await reserved(store, userId, { hold: 64 })
    const usage = { source: 'provider', promptTokens: 0, cachedTokens: 0, completionTokens: 0 } as const
    t.match(await store.settleChat(settlement(chatId, { cost: 0, usage })), { cost: 0, remainingTokens: 1000 })
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: a charge above the hold is refused by the database, and nothing changes`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const { chatId } = await reserved(store, userId, { hold: 50 })
    await t.rejects(store.settleChat(settlement(chatId, { cost: 51 })))
    t.match(await state.chats(), [{ id: chatId, status: 'pending', hold: 50, cost: 50 }])
    t.equal((await state.user('alice')).tokens, 950)
    t.equal(await store.refundChat({ chatId, reason: 'still pending', now: Date.now() }), true, 'it can still end')
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: settled chats add up per user, UTC day and model; refunds do not count`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice', 10_000)
    const bob = await createUser(store, 'bob', 10_000)
    const day = 20_000
    const morning = day * DAY_MS + 1
    const evening = (day + 1) * DAY_MS - 1
    const counted = (promptTokens: number, cachedTokens: number, completionTokens: number) =>
      ({ source: 'provider', promptTokens, cachedTokens, completionTokens }) as const
    const settle = async (userId: number, model: string, now: number, cost: number, usage = counted(10, 2, 5)) => {
      const { chatId } = await reserved(store, userId, { model, hold: 500, now })
      await store.settleChat(settlement(chatId, { cost, usage }))
    }
    await settle(alice, 'small', morning, 3)
    await settle(alice, 'small', evening, 4, counted(100, 0, 50))
    await settle(alice, 'large', evening, 7, { source: 'none' } as never)
    await settle(alice, 'small', evening + 1, 1)
    await settle(bob, 'small', morning, 2)
    const refunded = await reserved(store, alice, { model: 'small', hold: 500, now: morning })
    await store.refundChat({ chatId: refunded.chatId, reason: 'no reply', now: morning })
    t.same(await state.usageDaily(), [
      {
        userId: alice,
        day,
        model: 'large',
        apiKeyId: 0,
        requests: 1,
        promptTokens: 0,
        cachedTokens: 0,
        completionTokens: 0,
        credits: 7
      },
      {
        userId: alice,
        day,
        model: 'small',
        apiKeyId: 0,
        requests: 2,
        promptTokens: 110,
        cachedTokens: 2,
        completionTokens: 55,
        credits: 7
      },
      {
        userId: alice,
        day: day + 1,
        model: 'small',
        apiKeyId: 0,
        requests: 1,
        promptTokens: 10,
        cachedTokens: 2,
        completionTokens: 5,
        credits: 1
      },
      {
        userId: bob,
        day,
        model: 'small',
        apiKeyId: 0,
        requests: 1,
        promptTokens: 10,
        cachedTokens: 2,
        completionTokens: 5,
        credits: 2
      }
    ])
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: the audit finds a chat whose ledger rows do not add up to its cost`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const { chatId } = await reserved(store, userId, { hold: 300 })
    await store.settleChat(settlement(chatId, { cost: 42 }))
    await state.tamper.setChatCost(chatId, 40)
    t.same((await store.auditLedger()).mismatches, [
      { kind: 'charge', username: 'alice', chatId, cost: 40, ledgerSum: 42 }
    ])
    const refunded = await reserved(store, userId, { hold: 10 })
    await store.refundChat({ chatId: refunded.chatId, reason: 'no reply', now: Date.now() })
    const refundRow = (await state.ledger('alice')).find((row) => row.reason === 'refund')!
    await state.tamper.deleteLedgerEntry(refundRow.id)
    t.match((await store.auditLedger()).mismatches, [
      { kind: 'balance', username: 'alice' },
      { kind: 'charge', chatId },
      { kind: 'charge', chatId: refunded.chatId, cost: 0, ledgerSum: 10 }
    ])
  })
}
