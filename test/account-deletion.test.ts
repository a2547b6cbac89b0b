import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { App } from '../src/app.js'
import { assertProblem, build, PASSWORD, providerFrom, register, signUp } from './helper.js'
import { everythingStored } from './stored-state.js'

const URL = '/api/account/'

function deleteAccount(app: App, headers: Record<string, string>, payload?: object) {
  return app.inject({ method: 'DELETE', url: URL, headers, payload })
}

function chat(app: App, headers: Record<string, string>, message: string) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message } })
}

function logIn(app: App, username: string, password = PASSWORD) {
  return app.inject({ method: 'POST', url: '/api/login/', payload: { username, password } })
}

t.test('deleting your account needs your password: without it or with a wrong one nothing is deleted', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  t.equal((await chat(app, headers, 'hello')).statusCode, 201)
  const before = await everythingStored(state)

  assertProblem(t, await deleteAccount(app, headers), {
    status: 400,
    code: 'validation_failed',
    instance: URL,
    extensions: { errors: [{ location: 'body' }] }
  })
  assertProblem(t, await deleteAccount(app, headers, {}), {
    status: 400,
    code: 'validation_failed',
    instance: URL,
    extensions: { errors: [{ pointer: '#/password', location: 'body', message: /required/ }] }
  })
  assertProblem(t, await deleteAccount(app, headers, { password: 'not my password' }), {
    status: 400,
    code: 'wrong_password',
    instance: URL,
    detail: 'The password is not your current password',
    extensions: { errors: [{ pointer: '#/password', location: 'body', message: 'is not your current password' }] }
  })
  assertProblem(t, await deleteAccount(app, {}, { password: PASSWORD }), {
    status: 401,
    code: 'not_authenticated',
    instance: URL
  })
  t.same(await everythingStored(state), before, 'nothing changed')
  t.equal((await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })).statusCode, 200)
})

t.test('with the right password the account is deleted: 204, the token dies, the name is free', async (t) => {
  const { app, state } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  t.equal((await chat(app, alice.headers, 'hello')).statusCode, 201)
  t.equal((await chat(app, bob.headers, 'hi')).statusCode, 201)
  const { id, tokens } = await state.user('alice')
  const ledger = await state.ledger('alice')

  const response = await deleteAccount(app, alice.headers, { password: PASSWORD })
  t.equal(response.statusCode, 204)
  t.equal(response.body, '')

  assertProblem(t, await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: alice.headers }), {
    status: 401,
    code: 'token_not_valid',
    instance: '/api/tokenbalance/'
  })
  assertProblem(t, await deleteAccount(app, alice.headers, { password: PASSWORD }), {
    status: 401,
    code: 'token_not_valid',
    instance: URL
  })
  const refreshed = await app.inject({
    method: 'POST',
    url: '/api/token/refresh/',
    payload: { refresh: alice.refresh }
  })
  t.equal(refreshed.statusCode, 401, 'the refresh token is dead too')
  assertProblem(t, await logIn(app, 'alice'), { status: 401, code: 'invalid_credentials', instance: '/api/login/' })

  t.match(await state.user(`deleted:${id}`), { id, tokens, isActive: false, deletedAt: Number })
  t.same(
    (await state.chats()).map(({ userId }) => userId),
    [(await state.user('bob')).id],
    'only bob’s chat is left'
  )
  t.same(await state.ledger(`deleted:${id}`), ledger, 'the ledger keeps every row of the account')
  t.same(await state.ledgerMismatches(), [])
  t.equal((await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: bob.headers })).statusCode, 200)

  await register(app, 'alice')
  const again = await logIn(app, 'alice')
  t.equal(again.statusCode, 200, 'the name can be registered and logged into again')
  t.not((await state.user('alice')).id, id, 'by a new account')
})

t.test('an account with a reply on its way is 409 account_busy, and is deleted once it has arrived', async (t) => {
  let release!: (text: string) => void
  const gate = new Promise<string>((resolve) => (release = resolve))
  const provider = providerFrom('gated', async () => ({ text: await gate, model: 'gated', usage: null }))
  const { app, state } = await build(t, {}, { provider })
  const { headers } = await signUp(app)
  const answer = chat(app, headers, 'hello')
  while ((await state.countChats('pending')) === 0) await sleep(5)
  const before = await everythingStored(state)

  assertProblem(t, await deleteAccount(app, headers, { password: PASSWORD }), {
    status: 409,
    code: 'account_busy',
    instance: URL
  })
  t.same(await everythingStored(state), before, 'nothing changed')
  release('late reply')
  t.equal((await answer).statusCode, 201, 'the reply still arrives')
  t.equal((await deleteAccount(app, headers, { password: PASSWORD })).statusCode, 204)
  t.same(await state.chats(), [])
  t.same(await state.ledgerMismatches(), [])
})

t.test('wrong passwords count like those of a password change: past the limit even the right one is 429', async (t) => {
  const { app, state } = await build(t, { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_FAILURES: '3' })
  const { headers } = await signUp(app)
  for (let attempt = 1; attempt <= 3; attempt++) {
    t.equal((await deleteAccount(app, headers, { password: 'not my password' })).statusCode, 400)
  }
  const response = await deleteAccount(app, headers, { password: PASSWORD })
  assertProblem(t, response, { status: 429, code: 'rate_limited', instance: URL })
  t.ok(Number(response.headers['retry-after']) >= 1, 'with Retry-After')
  t.match(await state.user('alice'), { isActive: true, deletedAt: null }, 'the account stays')
})
