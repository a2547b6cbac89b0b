import t from 'tap'
import { spendPeriods } from '../../src/db/storage-rules.js'
import { backends } from './backends.js'
import {
  apiKeySpend,
  assertBooksBalance,
  createUser,
  insertApiKey,
  reservation,
  reserved,
  settlement
} from './fixtures.js'

const JANUARY_31 = Date.UTC(2026, 0, 31, 23, 0)
const FEBRUARY_1 = Date.UTC(2026, 1, 1, 1, 0)
const january = spendPeriods(JANUARY_31)
const february = spendPeriods(FEBRUARY_1)

for (const backend of backends) {
  t.test(`${backend.name}: every hold counts into the month, with a limit set or not`, async (t) => {
    const { store, databaseUrl } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const keyId = await insertApiKey(databaseUrl, userId)
    await reserved(store, userId, { hold: 30, now: JANUARY_31 })
    await store.reserveChat(reservation(userId, { origin: 'api', apiKeyId: keyId, hold: 20, now: JANUARY_31 }))
    t.same(await store.getUserSpend(userId), {
      userId,
      monthlyLimit: null,
      adminMonthlyLimit: null,
      month: { period: january.month, spent: 50 }
    })
    t.same(await apiKeySpend(databaseUrl, keyId), {
      day: { period: january.day, spent: 20 },
      month: { period: january.month, spent: 20 }
    })

    t.match(await store.setMonthlyLimit({ userId, setBy: 'user', limit: 100 }), { monthlyLimit: 100 })
    t.match(await store.reserveChat(reservation(userId, { hold: 60, now: JANUARY_31 })), {
      reserved: false,
      reason: 'spend_limit',
      limit: { name: 'user_monthly', limit: 100, remaining: 50 }
    })
    t.match(await store.reserveChat(reservation(userId, { hold: 50, now: JANUARY_31 })), { reserved: true })
    t.match(await store.getUserSpend(userId), { month: { spent: 100 } })
  })

  t.test(`${backend.name}: a refusal names the limit that binds, and changes nothing`, async (t) => {
    const { store, state, databaseUrl } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const refusalBy = async (name: string, setUp: () => Promise<number | undefined>, resetAt: number) => {
      const apiKeyId = await setUp()
      const before = { ledger: await state.ledger(), chats: await state.countChats() }
      const origin = apiKeyId === undefined ? 'chat' : 'api'
      t.same(
        await store.reserveChat(reservation(userId, { origin, apiKeyId, hold: 30, now: JANUARY_31 })),
        { reserved: false, reason: 'spend_limit', balance: 1000, limit: { name, limit: 20, remaining: 20, resetAt } },
        name
      )
      t.same(await state.ledger(), before.ledger, `${name}: nothing debited`)
      t.equal(await state.countChats(), before.chats, `${name}: no chat`)
      if (apiKeyId !== undefined) {
        t.same((await apiKeySpend(databaseUrl, apiKeyId)).month.spent, 0, `${name}: nothing counted on the key`)
      }
    }
    await refusalBy('key_daily', () => insertApiKey(databaseUrl, userId, { dailyLimit: 20 }), january.dayResetAt)
    await refusalBy('key_monthly', () => insertApiKey(databaseUrl, userId, { monthlyLimit: 20 }), january.monthResetAt)
    await refusalBy(
      'admin_monthly',
      async () => void (await store.setMonthlyLimit({ userId, setBy: 'admin', limit: 20 })),
      january.monthResetAt
    )
    await store.setMonthlyLimit({ userId, setBy: 'admin', limit: null })
    await refusalBy(
      'user_monthly',
      async () => void (await store.setMonthlyLimit({ userId, setBy: 'user', limit: 20 })),
      january.monthResetAt
    )
    t.match(await store.getUserSpend(userId), { month: { spent: 0 } }, 'nothing counted on the user')
    await assertBooksBalance(t, store, state)
  })

  t.test(
    `${backend.name}: of several limits that bind, the smallest remainder is named, the first of equal ones`,
    async (t) => {
      const { store, databaseUrl } = await backend.open(t)
      const userId = await createUser(store, 'alice', 1000)
      await store.setMonthlyLimit({ userId, setBy: 'user', limit: 50 })
      await store.setMonthlyLimit({ userId, setBy: 'admin', limit: 40 })
      t.match(await store.reserveChat(reservation(userId, { hold: 60, now: JANUARY_31 })), {
        reason: 'spend_limit',
        limit: { name: 'admin_monthly', remaining: 40 }
      })
      const apiKeyId = await insertApiKey(databaseUrl, userId, { dailyLimit: 40, monthlyLimit: 40 })
      t.match(await store.reserveChat(reservation(userId, { origin: 'api', apiKeyId, hold: 60, now: JANUARY_31 })), {
        reason: 'spend_limit',
        limit: { name: 'key_daily', remaining: 40 }
      })
    }
  )

  t.test(`${backend.name}: a limit above the balance leaves the balance to refuse`, async (t) => {
    const { store } = await backend.open(t)
    const userId = await createUser(store, 'alice', 30)
    await store.setMonthlyLimit({ userId, setBy: 'user', limit: 40 })
    t.same(await store.reserveChat(reservation(userId, { hold: 50, now: JANUARY_31 })), {
      reserved: false,
      reason: 'insufficient_tokens',
      balance: 30
    })
  })

  t.test(
    `${backend.name}: a new month (and day) starts from zero, and an old month's settlement leaves it be`,
    async (t) => {
      const { store, state, databaseUrl } = await backend.open(t)
      const userId = await createUser(store, 'alice', 1000)
      await store.setMonthlyLimit({ userId, setBy: 'user', limit: 100 })
      const apiKeyId = await insertApiKey(databaseUrl, userId, { dailyLimit: 100 })
      const api = { origin: 'api' as const, apiKeyId }
      const old = await store.reserveChat(reservation(userId, { ...api, hold: 80, now: JANUARY_31 }))
      t.match(await store.reserveChat(reservation(userId, { ...api, hold: 80, now: JANUARY_31 })), {
        reason: 'spend_limit'
      })
      t.match(await store.reserveChat(reservation(userId, { ...api, hold: 80, now: FEBRUARY_1 })), { reserved: true })
      const spendOfFebruary = {
        user: { period: february.month, spent: 80 },
        key: { day: { period: february.day, spent: 80 }, month: { period: february.month, spent: 80 } }
      }
      t.match(await store.getUserSpend(userId), { month: spendOfFebruary.user })
      t.same(await apiKeySpend(databaseUrl, apiKeyId), spendOfFebruary.key)

      if (!old.reserved) throw new Error('the January reservation was refused')
      t.ok(await store.settleChat(settlement(old.chatId, { cost: 10, now: FEBRUARY_1 })))
      t.match(await store.getUserSpend(userId), { month: spendOfFebruary.user }, 'January gives nothing to February')
      t.same(await apiKeySpend(databaseUrl, apiKeyId), spendOfFebruary.key)
      await assertBooksBalance(t, store, state)
    }
  )

  t.test(`${backend.name}: a settlement and a refund give back to the period what they credit`, async (t) => {
    const { store, state, databaseUrl } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const apiKeyId = await insertApiKey(databaseUrl, userId)
    const api = { origin: 'api' as const, apiKeyId, now: JANUARY_31 }
    const settled = await store.reserveChat(reservation(userId, { ...api, hold: 100 }))
    const refunded = await store.reserveChat(reservation(userId, { ...api, hold: 50 }))
    const expired = await store.reserveChat(
      reservation(userId, { ...api, hold: 40, lease: { holder: 'gone', expiresAt: JANUARY_31 } })
    )
    if (!settled.reserved || !refunded.reserved || !expired.reserved) throw new Error('a reservation was refused')
    t.match(await store.getUserSpend(userId), { month: { spent: 190 } })
    await store.settleChat(settlement(settled.chatId, { cost: 30, now: JANUARY_31 }))
    t.match(await store.getUserSpend(userId), { month: { spent: 120 } }, 'the unused 70 came back')
    t.ok(await store.refundChat({ chatId: refunded.chatId, reason: 'no reply', now: JANUARY_31 }))
    t.match(await store.getUserSpend(userId), { month: { spent: 70 } }, 'the refunded 50 came back')
    t.same(await store.refundExpiredChats('lease expired', JANUARY_31 + 1), [expired.chatId])
    t.match(await store.getUserSpend(userId), { month: { spent: 30 } }, 'the expired 40 came back')
    t.same(await apiKeySpend(databaseUrl, apiKeyId), {
      day: { period: january.day, spent: 30 },
      month: { period: january.month, spent: 30 }
    })
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: a /v1 call reserves without a conversation and stays out of the history`, async (t) => {
    const { store, state, databaseUrl } = await backend.open(t)
    const userId = await createUser(store, 'alice', 1000)
    const apiKeyId = await insertApiKey(databaseUrl, userId)
    const result = await store.reserveChat(reservation(userId, { origin: 'api', apiKeyId, hold: 20 }))
    t.match(result, { reserved: true, conversationId: null, remainingTokens: 980 })
    if (!result.reserved) return
    t.same(await state.conversations(), [])
    t.match(await state.chats(), [{ id: result.chatId, conversationId: null, origin: 'api', apiKeyId }])
    await store.settleChat(settlement(result.chatId, { cost: 15 }))
    const message = await reserved(store, userId)
    await store.settleChat(settlement(message.chatId))
    t.same(
      (await store.listChats({ userId, beforeId: undefined, limit: 10 })).map((chat) => chat.id),
      [message.chatId]
    )
    t.equal(await store.findChat(userId, result.chatId), undefined)
    const ledger = await store.listLedger({ userId, beforeId: undefined, limit: 10 })
    t.match(
      ledger.filter((entry) => entry.chatId === result.chatId),
      [
        { reason: 'settle', chat: { apiKeyId, cost: 15 } },
        { reason: 'chat', chat: { apiKeyId, cost: 15 } }
      ]
    )
    t.match(ledger.find((entry) => entry.chatId === message.chatId)?.chat, { apiKeyId: null })
    t.same(
      (await store.listUsage({ groupBy: 'key', userId, fromDay: 0, toDay: 1e6, after: undefined, limit: 10 })).map(
        (group) => [group.key, group.requests, group.credits]
      ),
      [
        [0, 1, 10],
        [apiKeyId, 1, 15]
      ]
    )
    t.match(await state.usageDaily(), [{ apiKeyId: 0 }, { apiKeyId }])
    await assertBooksBalance(t, store, state)
  })

  t.test(
    `${backend.name}: settlements, refunds and holds of one key at once, from two instances, all count`,
    async (t) => {
      const { store, state, databaseUrl, openAnother } = await backend.open(t)
      const other = await openAnother()
      const userId = await createUser(store, 'alice', 100_000)
      const apiKeyId = await insertApiKey(databaseUrl, userId, { dailyLimit: 10_000 })
      const now = JANUARY_31
      const call = () => reservation(userId, { origin: 'api', apiKeyId, hold: 10, now })
      const first = await Promise.all(Array.from({ length: 20 }, () => store.reserveChat(call())))
      const chatIds = first.map((result) => (result.reserved ? result.chatId : 0))
      const results = await Promise.all([
        ...chatIds.map((chatId, i) => {
          const instance = i % 2 ? other : store
          return i < 10
            ? instance.settleChat(settlement(chatId, { cost: 3, now }))
            : instance.refundChat({ chatId, reason: 'no reply', now })
        }),
        ...Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).reserveChat(call()))
      ])
      t.ok(results.every(Boolean), 'every step went through')
      const spent = 10 * 3 + 20 * 10
      t.match(await store.getUserSpend(userId), { month: { spent } })
      t.same(await apiKeySpend(databaseUrl, apiKeyId), {
        day: { period: january.day, spent },
        month: { period: january.month, spent }
      })
      await assertBooksBalance(t, store, state)
    }
  )

  for (const limit of ['user_monthly', 'key_daily'] as const) {
    t.test(
      `${backend.name}: of 40 simultaneous holds from two instances on a ${limit} limit that covers 15, exactly 15 succeed`,
      async (t) => {
        const { store, state, databaseUrl, openAnother } = await backend.open(t)
        const other = await openAnother()
        const userId = await createUser(store, 'alice', 100_000)
        const apiKeyId = await insertApiKey(databaseUrl, userId, limit === 'key_daily' ? { dailyLimit: 150 } : {})
        if (limit === 'user_monthly') await store.setMonthlyLimit({ userId, setBy: 'user', limit: 150 })
        const now = JANUARY_31
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? other : store).reserveChat(reservation(userId, { origin: 'api', apiKeyId, hold: 10, now }))
          )
        )
        t.equal(results.filter((result) => result.reserved).length, 15)
        t.ok(
          results.every(
            (result) => result.reserved || (result.reason === 'spend_limit' && result.limit.name === limit)
          ),
          'the others found the limit spent'
        )
        t.match(await store.getUserSpend(userId), { month: { spent: 150 } })
        t.same(await apiKeySpend(databaseUrl, apiKeyId), {
          day: { period: january.day, spent: 150 },
          month: { period: january.month, spent: 150 }
        })
        t.equal((await state.user('alice')).tokens, 100_000 - 150)
        await assertBooksBalance(t, store, state)
      }
    )
  }
}
