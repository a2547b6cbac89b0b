import { setTimeout as sleep } from 'node:timers/promises'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { adjustTokens, adminAndUser } from './admin-helper.js'
import { assertProblem, build, providerFrom } from './helper.js'
import type { StoredState } from './stored-state.js'

/** Everything an adjustment could have changed. */
async function accountsState(state: StoredState) {
  return {
    users: (await state.users()).map(({ id, tokens }) => ({ id, tokens })),
    ledger: await state.ledger()
  }
}

t.test('a positive amount is a grant: balance and a ledger row naming the administrator and the note', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const before = Date.now()

  const response = await adjustTokens(app, admin.headers, 'alice', { amount: 500, note: 'Welcome bonus' })

  t.equal(response.statusCode, 201)
  t.same(response.json(), { username: 'alice', tokens: 4500, delta: 500, note: 'Welcome bonus' })
  t.equal((await state.user('alice')).tokens, 4500)
  const grant = (await state.ledger('alice')).at(-1)!
  t.match(grant, {
    userId: (await state.user('alice')).id,
    delta: 500,
    reason: 'grant',
    chatId: null,
    actorId: (await state.user('root')).id,
    note: 'Welcome bonus',
    balanceAfter: 4500
  })
  t.ok(grant.createdAt >= before && grant.createdAt <= Date.now(), 'stamped now')
  t.same(await state.ledgerMismatches(), [])
})

t.test('the balance endpoint shows a grant at once', async (t) => {
  const { app } = await build(t)
  const { user, admin } = await adminAndUser(app)
  await adjustTokens(app, admin.headers, 'alice', { amount: 1 })
  const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: user.headers })
  t.same(response.json(), { username: 'alice', tokens: 4001 })
})

t.test('a negative amount is a debit, down to exactly zero', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)

  const first = await adjustTokens(app, admin.headers, 'alice', { amount: -1500, note: 'Chargeback' })
  t.equal(first.statusCode, 201)
  t.same(first.json(), { username: 'alice', tokens: 2500, delta: -1500, note: 'Chargeback' })
  const last = await adjustTokens(app, admin.headers, 'alice', { amount: -2500 })
  t.same(last.json(), { username: 'alice', tokens: 0, delta: -2500, note: null })

  t.match((await state.ledger('alice')).slice(1), [
    { delta: -1500, reason: 'debit', actorId: (await state.user('root')).id, note: 'Chargeback', balanceAfter: 2500 },
    { delta: -2500, reason: 'debit', actorId: (await state.user('root')).id, note: null, balanceAfter: 0 }
  ])
  t.same(await state.ledgerMismatches(), [])
})

t.test('a debit larger than the balance is 409 and writes nothing', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const before = await accountsState(state)

  const response = await adjustTokens(app, admin.headers, 'alice', { amount: -4001, note: 'Too much' })

  assertProblem(t, response, {
    status: 409,
    code: 'insufficient_tokens',
    instance: '/api/admin/users/alice/tokens/',
    detail: 'The balance of 4000 tokens does not cover a debit of 4001 tokens; nothing was changed',
    extensions: { balance: 4000 }
  })
  t.same(await accountsState(state), before)
})

t.test('simultaneous debits never take a balance below zero', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const responses = await Promise.all(
    Array.from({ length: 10 }, () => adjustTokens(app, admin.headers, 'alice', { amount: -1000 }))
  )
  const statuses = responses.map((response) => response.statusCode).sort()
  t.same(statuses, [201, 201, 201, 201, 409, 409, 409, 409, 409, 409])
  t.equal((await state.user('alice')).tokens, 0)
  t.same(await state.ledgerMismatches(), [])
})

const LARGEST = Number.MAX_SAFE_INTEGER

function assertGrantRefused(t: Test, response: LightMyRequestResponse, balance: number, reserved: number) {
  assertProblem(t, response, {
    status: 409,
    code: 'balance_limit_exceeded',
    instance: '/api/admin/users/alice/tokens/',
    detail:
      `The balance of ${balance} tokens and the ${reserved} tokens reserved for replies in progress leave room ` +
      `for a grant of at most ${LARGEST - balance - reserved} tokens; nothing was changed`,
    extensions: { balance }
  })
}

t.test('a grant that would pass the largest exact balance is 409 and writes nothing', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const before = await accountsState(state)
  const response = await adjustTokens(app, admin.headers, 'alice', { amount: LARGEST - 3999 })
  assertGrantRefused(t, response, 4000, 0)
  t.equal(response.json().detail.match(/at most (\d+)/)[1], '9007199254736991')
  t.same(await accountsState(state), before)
  const largest = await adjustTokens(app, admin.headers, 'alice', { amount: LARGEST - 4000 })
  t.equal(largest.json().tokens, LARGEST, 'up to the limit is fine')
  t.same(await state.ledgerMismatches(), [])
})

/**
 * Alice (4000 tokens) with a chat pending, 100 tokens reserved, on a provider that holds its reply, and an
 * administrator. `refund()` makes the provider fail, so that the chat is refunded, and returns the chat's answer.
 */
async function withPendingChat(t: Test) {
  let fail!: () => void
  const failure = new Promise<never>((_resolve, reject) => {
    fail = () => reject(new Error('the model went away'))
  })
  failure.catch(() => {})
  const built = await build(t, {}, { provider: providerFrom('failing on cue', () => failure) })
  const { user, admin } = await adminAndUser(built.app)
  const chat = built.app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: user.headers,
    payload: { message: 'hi' }
  })
  while ((await built.state.countChats('pending')) === 0) await sleep(5)
  return {
    ...built,
    admin,
    refund: async () => {
      fail()
      return (await chat).json()
    }
  }
}

t.test('a grant counts the tokens reserved by pending chats, so their refund lands exactly on the limit', async (t) => {
  const { app, state, admin, refund } = await withPendingChat(t)
  const before = await accountsState(state)

  assertGrantRefused(t, await adjustTokens(app, admin.headers, 'alice', { amount: LARGEST - 3999 }), 3900, 100)
  t.same(await accountsState(state), before, 'the refused grant changed nothing')

  const largest = await adjustTokens(app, admin.headers, 'alice', { amount: LARGEST - 4000 })
  t.same(largest.json(), { username: 'alice', tokens: LARGEST - 100, delta: LARGEST - 4000, note: null })
  assertGrantRefused(t, await adjustTokens(app, admin.headers, 'alice', { amount: 1 }), LARGEST - 100, 100)

  t.match(await refund(), { code: 'upstream_error', refunded: true })
  t.equal((await state.user('alice')).tokens, LARGEST, 'the refund lands exactly on 2^53 − 1')
  t.match(
    (await state.ledger('alice')).map(({ reason, delta, balanceAfter }) => ({ reason, delta, balanceAfter })),
    [
      { reason: 'signup', delta: 4000, balanceAfter: 4000 },
      { reason: 'chat', delta: -100, balanceAfter: 3900 },
      { reason: 'grant', delta: LARGEST - 4000, balanceAfter: LARGEST - 100 },
      { reason: 'refund', delta: 100, balanceAfter: LARGEST }
    ]
  )
  t.same(await state.ledgerMismatches(), [])
  t.same((await app.store.auditLedger()).mismatches, [], 'every balance_after follows from the one before')
})

t.test('a refund on a balance granted past the limit before the rule existed is still exact', async (t) => {
  const { app, state, refund } = await withPendingChat(t)
  // What a grant up to the limit did while the chat was pending, before grants counted reserved tokens.
  await state.tamper.plantGrant('alice', BigInt(LARGEST))

  t.match(await refund(), { code: 'upstream_error', refunded: true })
  t.equal(await state.exactTokens('alice'), 9007199254741091n, '2^53 − 1 + 100, stored as an exact integer')
  t.equal((await state.exactBalancesAfter('alice')).at(-1), 9007199254741091n, 'the refund row')
  t.equal((await state.ledger('alice')).at(-1)!.reason, 'refund')
  t.same(await state.ledgerMismatches(), [])
  t.same((await app.store.auditLedger()).mismatches, [], 'every balance_after follows from the one before')
})

t.test('the username in the path is matched regardless of case and answered as stored', async (t) => {
  const { app } = await build(t)
  const { admin } = await adminAndUser(app, 'Alice')
  const response = await adjustTokens(app, admin.headers, 'ALICE', { amount: 10 })
  t.equal(response.statusCode, 201)
  t.equal(response.json().username, 'Alice')
})

t.test('the note is stored without surrounding whitespace', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const response = await adjustTokens(app, admin.headers, 'alice', { amount: 10, note: '  Refund of order 7 \n' })
  t.equal(response.json().note, 'Refund of order 7')
  t.equal((await state.ledger('alice')).at(-1)!.note, 'Refund of order 7')
})

t.test('an unknown username is 404 and writes nothing', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const before = await accountsState(state)
  const response = await adjustTokens(app, admin.headers, 'nobody', { amount: 10 })
  assertProblem(t, response, {
    status: 404,
    code: 'user_not_found',
    instance: '/api/admin/users/nobody/tokens/',
    detail: 'No user named "nobody" was found'
  })
  t.same(await accountsState(state), before)
})

t.test('an invalid amount or note is 400 naming the field, and writes nothing', async (t) => {
  const { app, state } = await build(t)
  const { admin } = await adminAndUser(app)
  const before = await accountsState(state)
  const cases: [string, unknown, string, string | RegExp][] = [
    ['zero', { amount: 0 }, '#/amount', 'must not be 0'],
    ['a fraction', { amount: 1.5 }, '#/amount', 'must be integer'],
    ['a string', { amount: '100' }, '#/amount', 'must be integer'],
    ['beyond safe integers', { amount: 2 ** 53 }, '#/amount', 'must be <= 9007199254740991'],
    ['huge', { amount: 1e20 }, '#/amount', 'must be <= 9007199254740991'],
    ['hugely negative', { amount: -(2 ** 53) }, '#/amount', 'must be >= -9007199254740991'],
    ['missing', { note: 'no amount' }, '#/amount', 'is required'],
    ['an empty note', { amount: 1, note: '' }, '#/note', 'must NOT have fewer than 1 characters'],
    ['a blank note', { amount: 1, note: '   ' }, '#/note', /must match the format/],
    ['a long note', { amount: 1, note: 'x'.repeat(501) }, '#/note', 'must NOT have more than 500 characters'],
    ['a null note', { amount: 1, note: null }, '#/note', 'must be string'],
    ['an unknown field', { amount: 1, actor: 'root' }, '#/actor', 'is not an allowed property']
  ]
  for (const [name, payload, pointer, message] of cases) {
    const response = await adjustTokens(app, admin.headers, 'alice', payload)
    t.equal(response.statusCode, 400, name)
    t.match(response.json(), { code: 'validation_failed', errors: [{ pointer, location: 'body', message }] }, name)
  }
  t.same(await accountsState(state), before)
})
