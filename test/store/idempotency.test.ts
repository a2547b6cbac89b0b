import t from 'tap'
import { backends } from './backends.js'
import { createUser, reserved } from './fixtures.js'

for (const backend of backends) {
  t.test(`${backend.name}: a key is claimed, busy, bound to its request, and replays its answer`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const scope = { userId, operation: 'chat', key: 'k' }
    const begin = { ...scope, requestHash: 'h', expiredBefore: 0, now: 100 }
    t.same(await store.beginIdempotentRequest(begin), { state: 'claimed' })
    t.same(await store.beginIdempotentRequest(begin), { state: 'in_progress' })
    t.same(await store.beginIdempotentRequest({ ...begin, requestHash: 'other' }), { state: 'mismatch' })
    t.same(await store.beginIdempotentRequest({ ...begin, operation: 'grant' }), { state: 'claimed' }, 'per operation')
    const response = { status: 201, body: '{"id":1}' }
    await store.completeIdempotentRequest(scope, response)
    await store.completeIdempotentRequest(scope, response)
    t.same(await store.beginIdempotentRequest(begin), { state: 'replay', response })
    t.match(await state.idempotencyKeys(), [
      { ...scope, requestHash: 'h', responseStatus: 201, responseBody: '{"id":1}', chatId: null, createdAt: 100 },
      { userId, operation: 'grant', key: 'k' }
    ])
  })

  t.test(`${backend.name}: a released key is claimed afresh, and so is an expired one`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const scope = { userId, operation: 'chat', key: 'k' }
    const begin = { ...scope, requestHash: 'h', expiredBefore: 0, now: 100 }
    await store.beginIdempotentRequest(begin)
    await store.releaseIdempotentRequest(scope)
    await store.releaseIdempotentRequest(scope)
    t.same(await state.idempotencyKeys(), [])
    t.same(await store.beginIdempotentRequest(begin), { state: 'claimed' })
    await store.completeIdempotentRequest(scope, { status: 200, body: '{}' })
    t.same(await store.beginIdempotentRequest({ ...begin, requestHash: 'new', expiredBefore: 101, now: 200 }), {
      state: 'claimed'
    })
    t.match(await state.idempotencyKeys(), [{ requestHash: 'new', responseStatus: null, createdAt: 200 }])
  })

  t.test(`${backend.name}: releasing never forgets a key bound to a chat or holding an answer`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    const charged = { userId, operation: 'chat', key: 'charged' }
    const answered = { userId, operation: 'grant', key: 'answered' }
    for (const scope of [charged, answered]) {
      await store.beginIdempotentRequest({ ...scope, requestHash: 'h', expiredBefore: 0, now: 1 })
    }
    const { chatId } = await reserved(store, userId, { idempotencyKey: charged })
    await store.completeIdempotentRequest(answered, { status: 201, body: '{}' })

    await store.releaseIdempotentRequest(charged)
    await store.releaseIdempotentRequest(answered)

    t.match(await state.idempotencyKeys(), [
      { key: 'charged', chatId, responseStatus: null },
      { key: 'answered', chatId: null, responseStatus: 201 }
    ])
  })

  t.test(`${backend.name}: of simultaneous first requests with one key, exactly one claims it`, async (t) => {
    const { store, state, openAnother } = await backend.open(t)
    const other = await openAnother()
    const userId = await createUser(store, 'alice')
    const begin = { userId, operation: 'chat', key: 'k', requestHash: 'h', expiredBefore: 0, now: 100 }
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).beginIdempotentRequest(begin))
    )
    t.equal(outcomes.filter(({ state }) => state === 'claimed').length, 1)
    t.equal(outcomes.filter(({ state }) => state === 'in_progress').length, 19)
    t.equal((await state.idempotencyKeys()).length, 1)
  })

  t.test(`${backend.name}: purging forgets the keys claimed before the time given`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    for (const [key, now] of [
      ['a', 10],
      ['b', 20],
      ['c', 30]
    ] as const) {
      await store.beginIdempotentRequest({ userId, operation: 'chat', key, requestHash: 'h', expiredBefore: 0, now })
    }
    t.equal(await store.purgeIdempotencyKeys(25), 2)
    t.same(
      (await state.idempotencyKeys()).map(({ key }) => key),
      ['c']
    )
  })
}
