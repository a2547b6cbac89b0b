import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { usernameColumns } from '../src/modules/auth/usernames.js'
import { build, login, PASSWORD, register } from './helper.js'
import type { StoredState } from './stored-state.js'

function registerRequest(app: App, username: string) {
  return app.inject({ method: 'POST', url: '/api/register/', payload: { username, password: PASSWORD } })
}

async function storedUsers(state: StoredState) {
  return (await state.users()).map(({ username, usernameKey, usernameSkeleton }) => ({
    username,
    usernameKey,
    usernameSkeleton
  }))
}

async function ledgerRows(state: StoredState): Promise<number> {
  return (await state.ledger()).length
}

/** Asserts a 400 `username_not_allowed` whose one error points at the username with `message`. */
async function assertNotAllowed(t: Test, app: App, username: string, message: RegExp) {
  const response = await registerRequest(app, username)
  const label = JSON.stringify(username)
  t.equal(response.statusCode, 400, `400 for ${label}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), {
    type: 'urn:ai-chat-api:problem:username_not_allowed',
    status: 400,
    code: 'username_not_allowed',
    detail: message,
    instance: '/api/register/',
    errors: [{ pointer: '#/username', location: 'body', message }]
  })
  t.equal(response.json().errors.length, 1, `one error for ${label}`)
}

t.test('invisible characters and Hangul fillers are refused, as typed and as NFKC stores them', async (t) => {
  const { app, state } = await build(t)
  await register(app, 'root')
  const invisible = {
    'root\u3164': 'U\\+1160',
    'root\uffa0': 'U\\+1160',
    'root\u1160': 'U\\+1160',
    '\u115froot': 'U\\+115F',
    'ro\u034fot': 'U\\+034F',
    'root\ufe0f': 'U\\+FE0F'
  }
  for (const [username, codePoint] of Object.entries(invisible)) {
    await assertNotAllowed(t, app, username, new RegExp(`must not contain the invisible character ${codePoint}`))
  }
  t.same(await storedUsers(state), [{ username: 'root', usernameKey: 'root', usernameSkeleton: 'root' }])
  t.equal(await ledgerRows(state), 1, 'no signup besides root')
})

t.test('conjoining jamo are refused; Hangul written as syllables registers', async (t) => {
  const { app, state } = await build(t)
  await assertNotAllowed(t, app, 'ㄱㄴㄷ', /must not contain the conjoining jamo U\+1100; write Hangul as syllables/)
  await assertNotAllowed(t, app, 'ab\u11a8c', /must not contain the conjoining jamo U\+11A8/)
  t.equal((await registerRequest(app, '김민준')).statusCode, 201)
  t.match(await storedUsers(state), [{ username: '김민준' }])
})

t.test('a name mixing Latin with Cyrillic or Greek, or Cyrillic with Greek, is refused', async (t) => {
  const { app, state } = await build(t)
  await register(app, 'root')
  await assertNotAllowed(t, app, 'rооt', /must not mix Latin, Cyrillic: use one script/)
  await assertNotAllowed(t, app, 'αlice', /must not mix Greek, Latin/)
  await assertNotAllowed(t, app, 'иβан', /must not mix Cyrillic, Greek/)
  await assertNotAllowed(t, app, 'bob\u13a0', /must not mix Latin, Cherokee/)
  t.same(await storedUsers(state), [{ username: 'root', usernameKey: 'root', usernameSkeleton: 'root' }])
})

t.test('names in one script, or Latin with one other or with Han, kana, Bopomofo or Hangul, register', async (t) => {
  const { app, state } = await build(t)
  const accepted = [
    'José',
    '山田',
    '山田太郎',
    'alice_01',
    'иван',
    'Αλέξης',
    'नमस्ते',
    'สมศักดิ์',
    'محمد',
    'taro山田',
    'やまだ太郎',
    'ルーク_99',
    'lee김민준',
    '李小龍ㄅ',
    'dj_שלום'
  ]
  for (const username of accepted) {
    const response = await registerRequest(app, username)
    t.equal(response.statusCode, 201, `${username} registers`)
    t.equal(response.json().username, username)
  }
  t.same(
    (await storedUsers(state)).map((row) => row.username),
    accepted
  )
})

t.test('combining marks must follow a letter, and none may repeat or pile up', async (t) => {
  const { app, state } = await build(t)
  await assertNotAllowed(t, app, '\u0301abc', /must not start with a combining mark/)
  await assertNotAllowed(t, app, 'abe\u0301\u0301', /must not repeat a combining mark or stack more than four/)
  await assertNotAllowed(t, app, 'ab\u0300\u0301\u0302\u0303\u0304c', /stack more than four/)
  t.equal((await registerRequest(app, 'zoe\u0308')).json().username, 'zoë', 'one accent composes as NFKC does')
  t.equal((await storedUsers(state)).length, 1)
})

t.test('a name whose confusable skeleton is taken gets 409 username_taken', async (t) => {
  const { app, state } = await build(t)
  await register(app, 'pop')
  await register(app, 'paypal')
  await register(app, 'modern')
  const lookalikes = { рор: 'all Cyrillic', paypa1: 'the digit one', rnodern: 'r and n for m', PAYPA1: 'any case' }
  for (const [username, why] of Object.entries(lookalikes)) {
    const response = await registerRequest(app, username)
    t.equal(response.statusCode, 409, why)
    t.same(response.json(), {
      type: 'urn:ai-chat-api:problem:username_taken',
      title: 'Conflict',
      status: 409,
      detail: `The username "${username}" looks like one that already exists`,
      code: 'username_taken',
      instance: '/api/register/'
    })
  }
  t.same(await storedUsers(state), [
    { username: 'pop', usernameKey: 'pop', usernameSkeleton: 'pop' },
    { username: 'paypal', usernameKey: 'paypal', usernameSkeleton: 'paypal' },
    { username: 'modern', usernameKey: 'modern', usernameSkeleton: 'rnodern' }
  ])
  t.equal(await ledgerRows(state), 3, 'no signup for a look-alike')
})

t.test('of two look-alikes registering at once, exactly one gets the name', async (t) => {
  const { app, state } = await build(t)
  const responses = await Promise.all(['pop', 'рор', 'POP', 'ρορ'].map((username) => registerRequest(app, username)))
  t.same(responses.map((response) => response.statusCode).sort(), [201, 409, 409, 409])
  t.equal((await storedUsers(state)).length, 1)
  t.equal(await ledgerRows(state), 1)
})

t.test('login finds a non-Latin name by its exact stored form, a case variant and a decomposed form', async (t) => {
  const { app } = await build(t)
  await register(app, 'José')
  await register(app, 'Αλέξης')
  for (const username of ['José', 'JOSÉ', 'jose\u0301', 'Αλέξης', 'ΑΛΈΞΗΣ']) {
    t.match(await login(app, username), { access: String, refresh: String }, `${username} logs in`)
  }
  const lookalike = await app.inject({
    method: 'POST',
    url: '/api/login/',
    payload: { username: 'Jose', password: PASSWORD }
  })
  t.equal(lookalike.statusCode, 401, 'an unaccented look-alike is another name')
})

t.test('an account whose name the rules now refuse still logs in with it', async (t) => {
  const { app, state } = await build(t)
  const legacy = 'root\u1160'
  const created = await app.store.createUser({
    ...usernameColumns(legacy),
    passwordHash: await app.passwords.hash(usernameColumns(legacy).usernameKey, PASSWORD),
    initialTokens: 10,
    now: Date.now()
  })
  t.match(created, { created: true })
  t.match(await login(app, legacy), { access: String, refresh: String })
  t.match(await login(app, 'ROOT\u3164'), { access: String, refresh: String }, 'the filler as typed, in another case')
  t.match(await storedUsers(state), [{ username: legacy }])
})
