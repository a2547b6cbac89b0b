import t from 'tap'
import { backends } from './backends.js'
import { createUser, reserved, settlement } from './fixtures.js'

for (const backend of backends) {
  t.test(`${backend.name}: a user's ledger is listed newest first, a keyset page at a time`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice', 100, 1)
    await createUser(store, 'bob')
    const { chatId } = await reserved(store, alice, { hold: 10, now: 2 })
    await store.refundChat({ chatId, reason: 'failed', now: 3 })
    await store.adjustBalance({ usernameKey: 'alice', delta: 5, actorId: null, note: 'why', now: 4 })
    const rows = (await state.ledger('alice')).reverse()
    const page = await store.listLedger({ userId: alice, beforeId: undefined, limit: 2 })
    t.same(
      page,
      rows.slice(0, 2).map(({ userId: _user, actorId: _actor, ...entry }) => ({ ...entry, chat: null }))
    )
    t.match(page, [
      { delta: 5, reason: 'grant', chatId: null, balanceAfter: 105, note: 'why', createdAt: 4 },
      { delta: 10, reason: 'refund', chatId, balanceAfter: 100, note: null, createdAt: 3 }
    ])
    t.match(await store.listLedger({ userId: alice, beforeId: page[1]!.id, limit: 5 }), [
      { delta: -10, reason: 'chat', chatId, balanceAfter: 90 },
      { delta: 100, reason: 'signup', balanceAfter: 100 }
    ])
  })

  t.test(`${backend.name}: a settled chat's rows carry its final cost and usage`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice', 1000)
    const settledChat = await reserved(store, alice, { model: 'small', hold: 300 })
    await store.settleChat(settlement(settledChat.chatId, { cost: 42 }))
    const pending = await reserved(store, alice, { hold: 10 })
    const entries = await store.listLedger({ userId: alice, beforeId: undefined, limit: 10 })
    const charge = {
      model: 'small',
      cost: 42,
      promptTokens: 3,
      cachedTokens: 0,
      completionTokens: 5,
      usageSource: 'provider'
    }
    t.match(entries, [
      { reason: 'chat', chatId: pending.chatId, chat: null },
      { reason: 'settle', delta: 258, chatId: settledChat.chatId, chat: charge },
      { reason: 'chat', delta: -300, chatId: settledChat.chatId, chat: charge },
      { reason: 'signup', chat: null }
    ])
  })

  t.test(`${backend.name}: the audit counts users and entries and finds nothing wrong in honest books`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    await createUser(store, 'bob')
    await reserved(store, alice)
    t.same(await store.auditLedger(), { users: 2, entries: 3, mismatches: [] })
  })

  t.test(`${backend.name}: the audit reports a balance off its ledger and a broken chain of balances`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice', 100)
    await createUser(store, 'bob', 100)
    await reserved(store, alice, { hold: 10 })
    await state.tamper.updateUser('bob', { tokens: 150 })
    const chatRow = (await state.ledger('alice')).at(-1)!
    await state.tamper.setBalanceAfter(chatRow.id, 95)
    t.same((await store.auditLedger()).mismatches, [
      { kind: 'balance', username: 'bob', tokens: 150, ledgerSum: 100 },
      { kind: 'chain', username: 'alice', ledgerId: chatRow.id, previousBalance: 100, delta: -10, balanceAfter: 95 }
    ])
    t.same(await state.ledgerMismatches(), [{ userId: (await state.user('bob')).id, tokens: 150, ledgerSum: 100 }])
  })

  t.test(`${backend.name}: the audit reports a user whose ledger rows are gone`, async (t) => {
    const { store, state } = await backend.open(t)
    await createUser(store, 'alice', 100)
    await state.tamper.deleteLedgerEntry((await state.ledger('alice'))[0]!.id)
    t.same((await store.auditLedger()).mismatches, [{ kind: 'balance', username: 'alice', tokens: 100, ledgerSum: 0 }])
  })
}
