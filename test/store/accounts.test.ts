import t from 'tap'
import type { NewUser } from '../../src/db/store.js'
import { backends } from './backends.js'
import { assertBooksBalance, createUser, reserved, startedSession } from './fixtures.js'

const LARGEST = Number.MAX_SAFE_INTEGER

function newUser(fields: Partial<NewUser> = {}): NewUser {
  return {
    username: 'Alice',
    usernameKey: 'alice',
    usernameSkeleton: 'alice',
    passwordHash: 'hash',
    initialTokens: 4000,
    now: 100,
    ...fields
  }
}

function adjustment(
  delta: number,
  fields: { usernameKey?: string; actorId?: number | null; note?: string | null } = {}
) {
  return { usernameKey: 'alice', delta, actorId: null, note: null, now: Date.now(), ...fields }
}

for (const backend of backends) {
  t.test(`${backend.name}: a new user is stored with a signup ledger row for the starting balance`, async (t) => {
    const { store, state } = await backend.open(t)
    const created = await store.createUser(newUser())
    t.match(created, { created: true, tokens: 4000 })
    t.match(await state.users(), [
      {
        username: 'Alice',
        usernameKey: 'alice',
        usernameSkeleton: 'alice',
        passwordHash: 'hash',
        credentialsVersion: 0,
        tokens: 4000,
        isActive: true,
        isAdmin: false,
        createdAt: 100
      }
    ])
    const { id } = await state.user('alice')
    t.same(created, { created: true, userId: id, tokens: 4000 })
    t.match(await state.ledger(), [
      { userId: id, delta: 4000, reason: 'signup', chatId: null, balanceAfter: 4000, createdAt: 100 }
    ])
    t.same(await store.getBalance(id), { username: 'Alice', tokens: 4000 })
    t.equal(await store.getBalance(id + 1), undefined)
  })

  t.test(`${backend.name}: of simultaneous sign-ups of one name, exactly one is created`, async (t) => {
    const { store, state, openAnother } = await backend.open(t)
    const other = await openAnother()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).createUser(newUser({ passwordHash: `hash ${i}` })))
    )
    t.equal(results.filter((result) => result.created).length, 1)
    t.equal(results.filter((result) => !result.created && result.reason === 'taken').length, 19)
    t.equal((await state.users()).length, 1)
    t.equal((await state.ledger()).length, 1, 'one signup row')
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: of simultaneous sign-ups of look-alike names, exactly one is created`, async (t) => {
    const { store, state } = await backend.open(t)
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.createUser(newUser({ usernameKey: `alice-${i}`, username: `a${i}` })))
    )
    t.equal(results.filter((result) => result.created).length, 1)
    t.equal(results.filter((result) => !result.created && result.reason === 'looks_taken').length, 19)
    t.equal((await state.users()).length, 1)
    t.equal((await state.ledger()).length, 1)
  })

  t.test(`${backend.name}: a login candidate is an active user with their credentials version`, async (t) => {
    const { store } = await backend.open(t)
    const userId = await createUser(store, 'alice')
    t.same(await store.findUserForLogin('alice'), {
      id: userId,
      username: 'alice',
      passwordHash: 'hash of alice',
      credentialsVersion: 0
    })
    t.equal(await store.findUserForLogin('bob'), undefined)
    await store.setAccountActive({ userId, isActive: false, now: 1 })
    t.equal(await store.findUserForLogin('alice'), undefined, 'a deactivated user is no candidate')
  })

  t.test(
    `${backend.name}: accounts without a skeleton are listed by id and given one unless it is taken`,
    async (t) => {
      const { store, state } = await backend.open(t)
      const ids = [await createUser(store, 'a'), await createUser(store, 'b'), await createUser(store, 'c')]
      for (const key of ['a', 'b', 'c']) await state.tamper.clearUsernameSkeleton(key)
      t.same(await store.listUnskeletonedUsers(0, 2), [
        { id: ids[0], usernameKey: 'a' },
        { id: ids[1], usernameKey: 'b' }
      ])
      t.same(await store.listUnskeletonedUsers(ids[1]!, 2), [{ id: ids[2], usernameKey: 'c' }])
      t.equal(await store.setUsernameSkeleton(ids[0]!, 'same'), true)
      t.equal(await store.setUsernameSkeleton(ids[1]!, 'same'), false, 'another account holds it')
      t.equal(await store.setUsernameSkeleton(ids[0]!, 'other'), false, 'a skeleton once set stays')
      t.same(
        (await state.users()).map(({ usernameSkeleton }) => usernameSkeleton),
        ['same', null, null]
      )
    }
  )

  t.test(`${backend.name}: accounts are listed by username key, a page at a time, under a prefix`, async (t) => {
    const { store } = await backend.open(t)
    for (const key of ['bob', 'alice', 'alfred', 'carol']) await createUser(store, key, 10, 7)
    const keys = async (prefix: string, after: string | undefined, limit: number) =>
      (await store.listAccounts({ prefix, after, limit })).map(({ usernameKey }) => usernameKey)
    t.same(await keys('', undefined, 10), ['alfred', 'alice', 'bob', 'carol'])
    t.same(await keys('', 'alice', 2), ['bob', 'carol'])
    t.same(await keys('al', undefined, 10), ['alfred', 'alice'])
    t.same(await keys('al', 'alfred', 10), ['alice'])
    const alice = await store.findAccount('alice')
    t.match(alice, {
      username: 'alice',
      usernameKey: 'alice',
      tokens: 10,
      isActive: true,
      isAdmin: false,
      createdAt: 7
    })
    t.same((await store.listAccounts({ prefix: 'alice', after: undefined, limit: 1 }))[0], alice)
    t.equal(await store.findAccount('dave'), undefined)
  })

  t.test(
    `${backend.name}: a grant and a debit change the balance with a ledger row that says who and why`,
    async (t) => {
      const { store, state } = await backend.open(t)
      const alice = await createUser(store, 'alice', 4000)
      const root = await createUser(store, 'root')
      t.same(await store.adjustBalance(adjustment(500, { actorId: root, note: 'Goodwill' })), {
        adjusted: true,
        username: 'alice',
        tokens: 4500
      })
      t.same(await store.adjustBalance(adjustment(-4500)), { adjusted: true, username: 'alice', tokens: 0 })
      t.match((await state.ledger('alice')).slice(1), [
        { userId: alice, delta: 500, reason: 'grant', actorId: root, note: 'Goodwill', balanceAfter: 4500 },
        { userId: alice, delta: -4500, reason: 'debit', actorId: null, note: null, balanceAfter: 0 }
      ])
      await assertBooksBalance(t, store, state)
    }
  )

  t.test(`${backend.name}: a debit never takes a balance below zero, and an unknown user is not found`, async (t) => {
    const { store, state } = await backend.open(t)
    await createUser(store, 'alice', 100)
    t.same(await store.adjustBalance(adjustment(-101)), {
      adjusted: false,
      reason: 'insufficient_tokens',
      balance: 100
    })
    t.same(await store.adjustBalance(adjustment(5, { usernameKey: 'bob' })), { adjusted: false, reason: 'not_found' })
    t.equal((await state.user('alice')).tokens, 100)
    t.equal((await state.ledger()).length, 1, 'no ledger row')
  })

  t.test(`${backend.name}: a grant never takes the balance and the reserved tokens past 2^53 − 1`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'alice', 4000)
    const { chatId } = await reserved(store, userId, { hold: 100 })
    const room = LARGEST - 4000
    t.same(await store.adjustBalance(adjustment(room + 1)), {
      adjusted: false,
      reason: 'balance_limit',
      balance: 3900,
      reserved: 100
    })
    t.equal((await state.user('alice')).tokens, 3900, 'the refused grant changed nothing')
    t.same(await store.adjustBalance(adjustment(room)), { adjusted: true, username: 'alice', tokens: LARGEST - 100 })
    t.equal(await store.refundChat({ chatId, reason: 'failed', now: Date.now() }), true)
    t.equal(await state.exactTokens('alice'), BigInt(LARGEST), 'the refund lands exactly on the limit')
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: simultaneous debits never take a balance below zero`, async (t) => {
    const { store, state, openAnother } = await backend.open(t)
    const other = await openAnother()
    await createUser(store, 'alice', 1000)
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? other : store).adjustBalance(adjustment(-100)))
    )
    t.equal(results.filter((result) => result.adjusted).length, 10)
    t.equal((await state.user('alice')).tokens, 0)
    await assertBooksBalance(t, store, state)
  })

  t.test(
    `${backend.name}: deactivation raises the credentials version and revokes every session at once`,
    async (t) => {
      const { store, state } = await backend.open(t)
      const userId = await createUser(store, 'alice')
      await startedSession(store, userId)
      await startedSession(store, userId)
      const deactivated = await store.setAccountActive({ userId, isActive: false, now: 60 })
      t.match(deactivated, { id: userId, usernameKey: 'alice', isActive: false })
      t.same(
        (await state.sessions()).map(({ revokedAt }) => revokedAt),
        [60, 60]
      )
      t.match(await state.user('alice'), { isActive: false, credentialsVersion: 1 })
      t.match(await store.setAccountActive({ userId, isActive: true, now: 70 }), { isActive: true })
      t.match(await state.user('alice'), { isActive: true, credentialsVersion: 1 }, 'reactivation restores no login')
      t.equal(await store.setAccountActive({ userId: userId + 1, isActive: false, now: 80 }), undefined)
    }
  )

  t.test(`${backend.name}: promoting and demoting are idempotent, and a live session sees each at once`, async (t) => {
    const { store, state } = await backend.open(t)
    const userId = await createUser(store, 'root')
    const session = await startedSession(store, userId)
    const sessionUser = () => store.findSessionUser(userId, session.sessionId)
    t.same(await sessionUser(), { id: userId, username: 'root', isAdmin: false })
    t.match(await store.setAdmin(userId, true), { id: userId, usernameKey: 'root', isAdmin: true })
    t.match(await store.setAdmin(userId, true), { isAdmin: true })
    t.match(await state.user('root'), { isAdmin: true })
    t.same(await sessionUser(), { id: userId, username: 'root', isAdmin: true })
    t.match(await store.setAdmin(userId, false), { isAdmin: false })
    t.match(await store.setAdmin(userId, false), { isAdmin: false })
    t.match(await store.findAccount('root'), { isAdmin: false })
    t.same(await sessionUser(), { id: userId, username: 'root', isAdmin: false })
    t.equal(await store.setAdmin(userId + 1, true), undefined, 'nobody to promote')
  })
}
