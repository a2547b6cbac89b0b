import t from 'tap'
import { DAY_MS } from '../../src/db/storage-rules.js'
import type { ChatUsage, Store, UsageGrouping, UsageQuery } from '../../src/db/store.js'
import { backends } from './backends.js'
import { createUser, reserved, settlement } from './fixtures.js'

const DAY = 20_000
const counted = (promptTokens: number, cachedTokens: number, completionTokens: number): ChatUsage => ({
  source: 'provider',
  promptTokens,
  cachedTokens,
  completionTokens
})

/** Reserves and settles a chat of `model` made at `createdAt`, costing `cost`. */
async function settled(store: Store, userId: number, model: string, createdAt: number, cost: number, usage: ChatUsage) {
  const { chatId } = await reserved(store, userId, { model, hold: 1000, now: createdAt })
  await store.settleChat(settlement(chatId, { cost, usage }))
}

function query<Grouping extends UsageGrouping>(
  groupBy: Grouping,
  fields: Partial<UsageQuery<Grouping>> = {}
): UsageQuery<Grouping> {
  return { groupBy, userId: undefined, fromDay: DAY, toDay: DAY + 2, after: undefined, limit: 10, ...fields }
}

/**
 * Alice on three days with two models, one chat a minute before the range and one a minute after it, and a refunded
 * chat; Bob on one day; Carol only outside the range.
 */
async function seeded(store: Store) {
  const alice = await createUser(store, 'alice', 100_000)
  const bob = await createUser(store, 'bob', 100_000)
  const carol = await createUser(store, 'carol', 100_000)
  const first = DAY * DAY_MS
  await settled(store, alice, 'small', first - 60_000, 500, counted(1000, 0, 1000))
  await settled(store, alice, 'small', first, 3, counted(10, 2, 5))
  await settled(store, alice, 'large', first + 1000, 7, { source: 'none' })
  await settled(store, alice, 'small', first + DAY_MS - 1, 4, counted(100, 0, 50))
  await settled(store, alice, 'large', first + 2 * DAY_MS, 9, counted(20, 20, 1))
  await settled(store, alice, 'small', first + 3 * DAY_MS - 1, 1, counted(1, 0, 1))
  await settled(store, alice, 'large', first + 3 * DAY_MS + 60_000, 500, counted(1000, 0, 1000))
  await settled(store, bob, 'small', first + DAY_MS, 2, counted(10, 0, 5))
  await settled(store, carol, 'small', first - DAY_MS, 500, counted(1000, 0, 1000))
  const refunded = await reserved(store, alice, { model: 'small', hold: 1000, now: first })
  await store.refundChat({ chatId: refunded.chatId, reason: 'no reply', now: first })
  return { alice, bob, carol }
}

const totals = (
  requests: number,
  promptTokens: number,
  cachedTokens: number,
  completionTokens: number,
  credits: number
) => ({
  requests,
  promptTokens,
  cachedTokens,
  completionTokens,
  credits
})

for (const backend of backends) {
  t.test(`${backend.name}: a user's usage by day sums the days of the range, both ends included`, async (t) => {
    const { store } = await backend.open(t)
    const { alice } = await seeded(store)
    t.same(await store.listUsage(query('day', { userId: alice })), [
      { key: DAY, ...totals(3, 110, 2, 55, 14) },
      { key: DAY + 2, ...totals(2, 21, 20, 2, 10) }
    ])
  })

  t.test(`${backend.name}: a user's usage by model sums every day of the range per model`, async (t) => {
    const { store } = await backend.open(t)
    const { alice, bob } = await seeded(store)
    t.same(await store.listUsage(query('model', { userId: alice })), [
      { key: 'large', ...totals(2, 20, 20, 1, 16) },
      { key: 'small', ...totals(3, 111, 2, 56, 8) }
    ])
    t.same(await store.listUsage(query('model', { userId: bob })), [{ key: 'small', ...totals(1, 10, 0, 5, 2) }])
  })

  t.test(`${backend.name}: everyone's usage sums every user's, by day, model or user`, async (t) => {
    const { store } = await backend.open(t)
    const { alice, bob } = await seeded(store)
    t.same(await store.listUsage(query('day')), [
      { key: DAY, ...totals(3, 110, 2, 55, 14) },
      { key: DAY + 1, ...totals(1, 10, 0, 5, 2) },
      { key: DAY + 2, ...totals(2, 21, 20, 2, 10) }
    ])
    t.same(await store.listUsage(query('model')), [
      { key: 'large', ...totals(2, 20, 20, 1, 16) },
      { key: 'small', ...totals(4, 121, 2, 61, 10) }
    ])
    t.same(await store.listUsage(query('user')), [
      { key: alice, username: 'alice', ...totals(5, 131, 22, 57, 24) },
      { key: bob, username: 'bob', ...totals(1, 10, 0, 5, 2) }
    ])
    t.same(await store.listUsage(query('user', { userId: bob })), [
      { key: bob, username: 'bob', ...totals(1, 10, 0, 5, 2) }
    ])
  })

  t.test(`${backend.name}: a range without usage has no groups`, async (t) => {
    const { store } = await backend.open(t)
    const { alice } = await seeded(store)
    for (const groupBy of ['day', 'model', 'user'] as const) {
      t.same(await store.listUsage(query(groupBy, { fromDay: DAY + 10, toDay: DAY + 40 })), [], groupBy)
      t.same(await store.listUsage(query(groupBy, { userId: alice, fromDay: DAY + 4, toDay: DAY + 4 })), [], groupBy)
    }
  })

  t.test(`${backend.name}: pages follow the key of the last group, whatever the grouping`, async (t) => {
    const { store } = await backend.open(t)
    const { alice, bob } = await seeded(store)
    const days = await store.listUsage(query('day', { limit: 2 }))
    t.same(
      days.map((group) => group.key),
      [DAY, DAY + 1]
    )
    t.match(await store.listUsage(query('day', { after: DAY + 1, limit: 2 })), [{ key: DAY + 2, requests: 2 }])
    t.same(await store.listUsage(query('day', { after: DAY + 2, limit: 2 })), [])
    t.match(await store.listUsage(query('model', { limit: 1 })), [{ key: 'large' }])
    t.match(await store.listUsage(query('model', { after: 'large', limit: 1 })), [{ key: 'small', requests: 4 }])
    t.match(await store.listUsage(query('user', { limit: 1 })), [{ key: alice, username: 'alice' }])
    t.match(await store.listUsage(query('user', { after: alice, limit: 1 })), [{ key: bob, username: 'bob' }])
    t.same(await store.listUsage(query('user', { after: bob })), [])
  })

  t.test(`${backend.name}: models come in code point order, capitals first, whatever the collation`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice', 100_000)
    for (const model of ['a.b', 'a-c', 'Zeta', 'ab'])
      await settled(store, alice, model, DAY * DAY_MS, 1, counted(1, 0, 1))
    const page = await store.listUsage(query('model', { limit: 2 }))
    t.same(
      page.map((group) => group.key),
      ['Zeta', 'a-c']
    )
    const rest = await store.listUsage(query('model', { after: 'a-c' }))
    t.same(
      rest.map((group) => group.key),
      ['a.b', 'ab']
    )
  })
}
