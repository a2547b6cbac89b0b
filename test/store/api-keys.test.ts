import t from 'tap'
import type { NewApiKey, Store } from '../../src/db/store.js'
import { backends } from './backends.js'
import { createUser } from './fixtures.js'

function newKey(userId: number, fields: Partial<NewApiKey> = {}): NewApiKey {
  return {
    userId,
    name: 'laptop',
    secretHash: `hash ${Math.random()}`,
    lastFour: 'abcd',
    models: null,
    monthlyLimit: null,
    dailyLimit: null,
    expiresAt: null,
    liveKeyLimit: 100,
    now: 100,
    ...fields
  }
}

/** Creates a key that must be created. */
async function created(store: Store, key: NewApiKey) {
  const stored = await store.createApiKey(key)
  if (!stored) throw new Error('the key was refused')
  return stored
}

/** Creates a key whose secret hashes to `secretHash`; returns its id. */
async function keyWithHash(store: Store, userId: number, secretHash: string, fields: Partial<NewApiKey> = {}) {
  return (await created(store, newKey(userId, { secretHash, ...fields }))).id
}

for (const backend of backends) {
  t.test(`${backend.name}: a key is created as given, listed newest first and found only by its owner`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const first = await created(
      store,
      newKey(alice, {
        name: 'laptop',
        secretHash: 'first hash',
        lastFour: 'wxyz',
        models: ['small', 'large'],
        monthlyLimit: 5000,
        dailyLimit: 300,
        expiresAt: 9_000,
        now: 100
      })
    )
    t.same(first, {
      id: first.id,
      userId: alice,
      name: 'laptop',
      lastFour: 'wxyz',
      models: ['small', 'large'],
      monthlyLimit: 5000,
      dailyLimit: 300,
      month: { period: 0, spent: 0 },
      day: { period: 0, spent: 0 },
      createdAt: 100,
      lastUsedAt: null,
      expiresAt: 9_000,
      revokedAt: null
    })
    const second = await created(store, newKey(alice, { name: 'server', now: 200 }))
    t.match(second, { name: 'server', models: null, monthlyLimit: null, dailyLimit: null, expiresAt: null })
    const bobs = await created(store, newKey(bob))
    t.same(await store.listApiKeys(alice), [second, first], 'newest first')
    t.same(await store.listApiKeys(bob), [bobs])
    t.same(await store.findApiKey(first.id, alice), first)
    t.equal(await store.findApiKey(first.id, bob), undefined, 'not to another user')
    t.same(await store.findApiKey(first.id, undefined), first, 'to an administrator')
    t.equal(await store.findApiKey(bobs.id + 1, undefined), undefined)
    t.match(await state.apiKeys(), [{ secretHash: 'first hash', models: '["small","large"]' }, {}, {}])
  })

  t.test(`${backend.name}: two keys with one secret hash cannot both be stored`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    await keyWithHash(store, alice, 'same')
    await t.rejects(store.createApiKey(newKey(alice, { secretHash: 'same' })))
    t.equal((await state.apiKeys()).length, 1)
  })

  t.test(`${backend.name}: a user holds at most their limit of unrevoked keys`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const first = await created(store, newKey(alice, { liveKeyLimit: 2 }))
    await created(store, newKey(alice, { liveKeyLimit: 2 }))
    t.equal(await store.createApiKey(newKey(alice, { liveKeyLimit: 2 })), undefined, 'refused at the limit')
    t.ok(await store.createApiKey(newKey(bob, { liveKeyLimit: 2 })), 'another user has room of their own')
    await store.revokeApiKey(first.id, alice, 500)
    t.ok(await store.createApiKey(newKey(alice, { liveKeyLimit: 2 })), 'a revoked key leaves room')
    t.equal((await store.listApiKeys(alice)).length, 3)
  })

  t.test(`${backend.name}: of simultaneous creations, no more succeed than the limit leaves room for`, async (t) => {
    const { store, state, openAnother } = await backend.open(t)
    const other = await openAnother()
    const alice = await createUser(store, 'alice')
    await created(store, newKey(alice))
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? other : store).createApiKey(newKey(alice, { liveKeyLimit: 4 })))
    )
    t.equal(results.filter((result) => result !== undefined).length, 3)
    t.equal((await state.apiKeys()).length, 4)
  })

  t.test(`${backend.name}: an update changes what it names and nothing else`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const key = await created(store, newKey(alice, { models: ['small'], monthlyLimit: 50, dailyLimit: 5 }))
    const renamed = await store.updateApiKey({ keyId: key.id, ownerId: alice, name: 'renamed' })
    t.same(renamed, { ...key, name: 'renamed' })
    const widened = await store.updateApiKey({ keyId: key.id, ownerId: alice, models: null, dailyLimit: null })
    t.same(widened, { ...key, name: 'renamed', models: null, dailyLimit: null })
    const limited = await store.updateApiKey({ keyId: key.id, ownerId: undefined, monthlyLimit: 70, models: ['a'] })
    t.same(limited, { ...key, name: 'renamed', models: ['a'], dailyLimit: null, monthlyLimit: 70 }, 'by an admin')
    t.same(await store.updateApiKey({ keyId: key.id, ownerId: alice }), limited, 'an empty update changes nothing')
    t.same(await store.findApiKey(key.id, alice), limited)
  })

  t.test(`${backend.name}: another user's, an unknown or a revoked key is not updated`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const key = await created(store, newKey(alice))
    t.equal(await store.updateApiKey({ keyId: key.id, ownerId: bob, name: 'mine' }), undefined)
    t.equal(await store.updateApiKey({ keyId: key.id + 1, ownerId: undefined, name: 'none' }), undefined)
    const revoked = await store.revokeApiKey(key.id, alice, 500)
    t.equal(await store.updateApiKey({ keyId: key.id, ownerId: alice, name: 'late' }), undefined)
    t.equal(await store.updateApiKey({ keyId: key.id, ownerId: alice }), undefined, 'nor found by an empty update')
    t.same(await store.findApiKey(key.id, alice), revoked, 'the revoked key is as it was')
  })

  t.test(`${backend.name}: a revoked key keeps the time of its first revocation`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const key = await created(store, newKey(alice))
    t.equal(await store.revokeApiKey(key.id, bob, 400), undefined, 'not by another user')
    t.equal((await store.findApiKey(key.id, alice))?.revokedAt, null)
    const revoked = await store.revokeApiKey(key.id, alice, 500)
    t.same(revoked, { ...key, revokedAt: 500 })
    t.same(await store.revokeApiKey(key.id, alice, 600), revoked, 'again: the same key, the same time')
    t.same(await store.revokeApiKey(key.id, undefined, 700), revoked, 'by an administrator too')
    t.equal(await store.revokeApiKey(key.id + 1, undefined, 700), undefined, 'no such key')
    t.same(await store.listApiKeys(alice), [revoked], 'a revoked key is still listed')
  })

  t.test(`${backend.name}: of simultaneous revocations of one key, all return it with one time`, async (t) => {
    const { store, openAnother } = await backend.open(t)
    const other = await openAnother()
    const alice = await createUser(store, 'alice')
    const key = await created(store, newKey(alice))
    const revocations = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).revokeApiKey(key.id, alice, 1000 + i))
    )
    const times = new Set(revocations.map((revoked) => revoked?.revokedAt))
    t.equal(times.size, 1, 'one revocation time')
    const [time] = times
    t.ok(typeof time === 'number' && time >= 1000 && time < 1010, 'one of the revocations set it')
    t.same((await store.findApiKey(key.id, alice))?.revokedAt, time)
  })

  t.test(`${backend.name}: the holder of a live key is found by the key's hash, with their user`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    await store.setAdmin(alice, true)
    const keyId = await keyWithHash(store, alice, 'live', { expiresAt: 1000 })
    t.same(await store.findKeyHolder('live', 999), {
      key: await store.findApiKey(keyId, alice),
      user: { id: alice, username: 'alice', isAdmin: true }
    })
    t.equal(await store.findKeyHolder('unknown', 999), undefined, 'an unknown hash')
  })

  t.test(`${backend.name}: no holder is found for a revoked or expired key, or a deactivated user`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const bob = await createUser(store, 'bob')
    const revoked = await keyWithHash(store, alice, 'revoked')
    await store.revokeApiKey(revoked, alice, 500)
    await keyWithHash(store, alice, 'expiring', { expiresAt: 1000 })
    await keyWithHash(store, bob, 'bob')
    t.equal(await store.findKeyHolder('revoked', 600), undefined, 'revoked')
    t.ok(await store.findKeyHolder('expiring', 999), 'live until it expires')
    t.equal(await store.findKeyHolder('expiring', 1000), undefined, 'expired at its expiry')
    t.ok(await store.findKeyHolder('bob', 600))
    await store.setAccountActive({ userId: bob, isActive: false, now: 700 })
    t.equal(await store.findKeyHolder('bob', 800), undefined, 'the user is deactivated')
    await store.setAccountActive({ userId: bob, isActive: true, now: 900 })
    t.ok(await store.findKeyHolder('bob', 1000), 'the user is active again')
  })

  t.test(`${backend.name}: a use is recorded only when the last recorded one is stale`, async (t) => {
    const { store } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    const key = await created(store, newKey(alice))
    const other = await created(store, newKey(alice))
    const lastUsed = async () => (await store.findApiKey(key.id, alice))?.lastUsedAt
    await store.touchApiKey(key.id, 1000, 940)
    t.equal(await lastUsed(), 1000, 'the first use is recorded')
    await store.touchApiKey(key.id, 1050, 990)
    t.equal(await lastUsed(), 1000, 'a use soon after is not')
    await store.touchApiKey(key.id, 1060, 1000)
    t.equal(await lastUsed(), 1000, 'nor one whose stale bound is the last use')
    await store.touchApiKey(key.id, 1070, 1001)
    t.equal(await lastUsed(), 1070, 'a use once the last one is stale is')
    t.equal((await store.findApiKey(other.id, alice))?.lastUsedAt, null, 'other keys are untouched')
  })
}
