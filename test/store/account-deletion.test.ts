import t from 'tap'
import type { Store } from '../../src/db/store.js'
import { DAY_MS } from '../../src/db/storage-rules.js'
import { everythingStored, type StoredState } from '../stored-state.js'
import { backends } from './backends.js'
import {
  assertBooksBalance,
  createUser,
  insertApiKey,
  reservation,
  reserved,
  settlement,
  startedSession
} from './fixtures.js'

const NOW = 10 * DAY_MS

/**
 * A user with something of every kind: a settled chat message, a settled `/v1` call with an API key, a refunded
 * chat, a session, an Idempotency-Key, monthly limits, an administrator's grant with a note, and a grant they made
 * (as an administrator) to `otherId`.
 */
async function busyLife(store: Store, databaseUrl: string, usernameKey: string, otherId: number) {
  const userId = await createUser(store, usernameKey, 1000, NOW)
  const message = await reserved(store, userId, { now: NOW })
  await store.settleChat(settlement(message.chatId, { cost: 4, now: NOW }))
  const apiKeyId = await insertApiKey(databaseUrl, userId)
  const call = await store.reserveChat(reservation(userId, { origin: 'api', apiKeyId, now: NOW }))
  if (!call.reserved) throw new Error('the /v1 call was refused')
  await store.settleChat(settlement(call.chatId, { cost: 6, now: NOW }))
  const refunded = await reserved(store, userId, { conversationId: message.conversationId, now: NOW })
  await store.refundChat({ chatId: refunded.chatId, reason: 'provider failed', now: NOW })
  const session = await startedSession(store, userId)
  await store.beginIdempotentRequest({
    userId,
    operation: 'chat',
    key: 'key-1',
    requestHash: 'hash',
    expiredBefore: 0,
    now: NOW
  })
  await store.setMonthlyLimit({ userId, setBy: 'user', limit: 500 })
  await store.setMonthlyLimit({ userId, setBy: 'admin', limit: 600 })
  await store.adjustBalance({ usernameKey, delta: 50, actorId: otherId, note: `a gift for ${usernameKey}`, now: NOW })
  const other = await store.findAccount(await usernameKeyOf(store, otherId))
  await store.adjustBalance({ usernameKey: other!.usernameKey, delta: 5, actorId: userId, note: 'thanks', now: NOW })
  return { userId, session, conversationId: message.conversationId }
}

async function usernameKeyOf(store: Store, userId: number) {
  return (await store.listAccounts({ prefix: '', after: undefined, limit: 100 })).find(({ id }) => id === userId)!
    .usernameKey
}

/** Everything stored that is not the user's: it must not change when the user's account is deleted. */
async function othersRows(state: StoredState, userId: number) {
  const notTheirs = <Row extends { userId: number }>(rows: Row[]) => rows.filter((row) => row.userId !== userId)
  const sessions = notTheirs(await state.sessions())
  const sessionIds = new Set(sessions.map(({ id }) => id))
  return {
    users: (await state.users()).filter(({ id }) => id !== userId),
    ledger: notTheirs(await state.ledger()),
    chats: notTheirs(await state.chats()),
    conversations: notTheirs(await state.conversations()),
    sessions,
    refreshTokens: (await state.refreshTokens()).filter(({ sessionId }) => sessionIds.has(sessionId)),
    idempotencyKeys: notTheirs(await state.idempotencyKeys()),
    apiKeys: notTheirs(await state.apiKeys()),
    usageDaily: await state.usageDaily()
  }
}

for (const backend of backends) {
  t.test(`${backend.name}: deleting an account removes all of it but its ledger, kept anonymous`, async (t) => {
    const { store, state, databaseUrl } = await backend.open(t)
    const carol = await createUser(store, 'carol', 1000, NOW)
    const bob = await busyLife(store, databaseUrl, 'bob', carol)
    const alice = await busyLife(store, databaseUrl, 'alice', bob.userId)
    const before = await state.user('alice')
    const ledgerBefore = await state.ledger('alice')
    const usageBefore = await state.usageDaily()
    const others = await othersRows(state, alice.userId)

    t.equal(await store.deleteAccount({ userId: alice.userId, now: NOW + 1 }), 'deleted')

    const tombstone = `deleted:${alice.userId}`
    t.same(
      (await state.users()).find(({ id }) => id === alice.userId),
      {
        ...before,
        username: tombstone,
        usernameKey: tombstone,
        usernameSkeleton: null,
        passwordHash: '!',
        credentialsVersion: before.credentialsVersion + 1,
        isActive: false,
        isAdmin: false,
        monthlyLimit: null,
        adminMonthlyLimit: null,
        deletedAt: NOW + 1
      }
    )
    t.same(
      await state.ledger(tombstone),
      ledgerBefore.map((row) => ({ ...row, note: null })),
      'every ledger row stays, under the same user id, without its note'
    )
    t.ok(
      ledgerBefore.some(({ note }) => note !== null),
      'the ledger had a note to clear'
    )
    t.same(await state.usageDaily(), usageBefore, 'the daily usage stays, under the tombstone')
    const theirs = <Row extends { userId: number }>(rows: Row[]) => rows.filter((row) => row.userId === alice.userId)
    t.same(theirs(await state.chats()), [], 'no chat is left')
    t.same(theirs(await state.conversations()), [], 'no conversation is left')
    t.same(theirs(await state.sessions()), [], 'no session is left')
    t.same(theirs(await state.idempotencyKeys()), [], 'no Idempotency-Key is left')
    t.same(theirs(await state.apiKeys()), [], 'no API key is left')
    t.same(await othersRows(state, alice.userId), others, 'nothing of anyone else changed')
    t.ok(
      (await state.ledger('bob')).some(({ actorId }) => actorId === alice.userId),
      'the grant the deleted user made still names them, by id'
    )
    await assertBooksBalance(t, store, state)

    t.equal(await store.findSessionUser(alice.userId, alice.session.sessionId), undefined, 'the session is over')
    t.equal(await store.findUserForLogin('alice'), undefined)
    t.equal(await store.findUserForLogin(tombstone), undefined)
    t.equal(await store.findPasswordHash(alice.userId), undefined)
    t.equal(await store.findAccount('alice'), undefined)
    t.equal(await store.findAccount(tombstone), undefined, 'administrators do not find the tombstone')
    t.same(
      (await store.listAccounts({ prefix: '', after: undefined, limit: 10 })).map(({ usernameKey }) => usernameKey),
      ['bob', 'carol'],
      'nor list it'
    )
    t.match(await store.adjustBalance({ usernameKey: tombstone, delta: 1, actorId: null, note: null, now: NOW }), {
      adjusted: false,
      reason: 'not_found'
    })
    t.equal(await store.setAccountActive({ userId: alice.userId, isActive: true, now: NOW }), undefined)
    t.same(await store.listUnskeletonedUsers(0, 10), [], 'the skeleton backfill leaves the tombstone alone')
    const usage = await store.listUsage({
      groupBy: 'user',
      userId: undefined,
      fromDay: 0,
      toDay: 100,
      after: undefined,
      limit: 10
    })
    t.same(
      usage.map(({ key, username, credits }) => ({ key, username, credits })),
      [
        { key: bob.userId, username: 'bob', credits: 10 },
        { key: alice.userId, username: tombstone, credits: 10 }
      ],
      'usage reports still count the deleted account, under its tombstone name'
    )
    t.match(await store.reserveChat(reservation(alice.userId, { now: NOW })), { reserved: false })
    t.same(theirs(await state.chats()), [], 'a reservation after the deletion is refused and stores nothing')
    t.equal(await store.deleteAccount({ userId: alice.userId, now: NOW + 2 }), 'not_found', 'deleted once')
    t.same((await state.users()).find(({ id }) => id === alice.userId)!.deletedAt, NOW + 1)
  })

  t.test(`${backend.name}: the name of a deleted account is free again, its skeleton too`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    t.equal(await store.deleteAccount({ userId: alice, now: NOW }), 'deleted')
    const again = await createUser(store, 'alice')
    t.not(again, alice, 'a new account')
    t.match(await state.user('alice'), { id: again, usernameSkeleton: 'alice', tokens: 1000, deletedAt: null })
    t.equal(await store.deleteAccount({ userId: again, now: NOW }), 'deleted', 'and it can be deleted too')
    t.equal((await state.users()).filter(({ deletedAt }) => deletedAt !== null).length, 2)
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: an account with a reply on its way is busy, and nothing changes`, async (t) => {
    const { store, state } = await backend.open(t)
    const alice = await createUser(store, 'alice')
    await startedSession(store, alice)
    const { chatId } = await reserved(store, alice)
    const before = await everythingStored(state)
    t.equal(await store.deleteAccount({ userId: alice, now: NOW }), 'busy')
    t.same(await everythingStored(state), before)
    await store.settleChat(settlement(chatId))
    t.equal(await store.deleteAccount({ userId: alice, now: NOW }), 'deleted', 'once the reply has settled')
    await assertBooksBalance(t, store, state)
  })

  t.test(`${backend.name}: no such user is not found`, async (t) => {
    const { store } = await backend.open(t)
    t.equal(await store.deleteAccount({ userId: 12345, now: NOW }), 'not_found')
  })

  t.test(`${backend.name}: a reservation racing the deletion comes first (busy) or finds no account`, async (t) => {
    const { store, state, openAnother } = await backend.open(t)
    const instances = [store, await openAnother()]
    const outcomes = new Set<string>()
    for (let trial = 0; trial < 20; trial++) {
      const userId = await createUser(store, `user-${trial}`)
      // Half the messages go into a conversation of the user's, which the deletion removes.
      let conversationId: number | undefined
      if (trial % 2 === 0) {
        const first = await reserved(store, userId)
        await store.settleChat(settlement(first.chatId))
        conversationId = first.conversationId
      }
      const [reserving, deleting] = trial % 4 < 2 ? instances : [...instances].reverse()
      // Which is asked first alternates too: on one SQLite connection, that is the order they commit in.
      const reserve = () => reserving!.reserveChat(reservation(userId, { conversationId }))
      const remove = () => deleting!.deleteAccount({ userId, now: NOW })
      const [reservationResult, deletion] =
        trial % 3 === 0
          ? await Promise.all([reserve(), remove()])
          : await (async () => {
              const deleted = remove()
              return [await reserve(), await deleted] as const
            })()
      outcomes.add(`${deletion} after ${reservationResult.reserved ? 'a reservation' : 'a refusal'}`)
      if (deletion === 'deleted') {
        t.notOk(reservationResult.reserved, 'a reservation after the deletion is refused')
        t.same(
          (await state.chats()).filter((chat) => chat.userId === userId),
          [],
          'and stored no chat'
        )
        t.same(
          (await state.conversations()).filter((row) => row.userId === userId),
          [],
          'nor a conversation'
        )
      } else {
        t.equal(deletion, 'busy', 'a deletion after the reservation finds its chat pending')
        t.ok(reservationResult.reserved)
      }
    }
    t.comment(`outcomes: ${[...outcomes].join('; ')}`)
    await assertBooksBalance(t, store, state)
  })
}
