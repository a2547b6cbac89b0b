import { createHmac, hkdfSync } from 'node:crypto'
import t from 'tap'
import type { App } from '../src/app.js'
import type { Store } from '../src/db/store.js'
import { authenticateApiKey, keyHashKeyFrom } from '../src/modules/keys/service.js'
import { adminAndUser, setActive, signUpAdmin } from './admin-helper.js'
import { assertProblem, build, signUp, TEST_ENV } from './helper.js'

type Headers = Record<string, string>

const SECRET_FORMAT = /^sk-acp-[A-Za-z0-9_-]{43}$/
const KEY_FIELDS = [
  'created_at',
  'daily_limit',
  'expires_at',
  'id',
  'last_four',
  'last_used_at',
  'models',
  'monthly_limit',
  'name',
  'revoked_at',
  'spend'
]
const HOUR = 60 * 60 * 1000

function createKey(app: App, headers: Headers, payload: object) {
  return app.inject({ method: 'POST', url: '/api/keys/', headers, payload })
}

/** Creates a key that must be created; returns the 201 body. */
async function created(app: App, headers: Headers, payload: object = { name: 'laptop' }) {
  const response = await createKey(app, headers, payload)
  if (response.statusCode !== 201) throw new Error(`the key was not created: ${response.body}`)
  return response.json()
}

async function listKeys(app: App, headers: Headers) {
  const response = await app.inject({ method: 'GET', url: '/api/keys/', headers })
  if (response.statusCode !== 200) throw new Error(`the keys were not listed: ${response.body}`)
  return response.json().keys
}

function onKey(app: App, headers: Headers, method: 'PATCH' | 'DELETE', id: number, payload?: object) {
  return app.inject({ method, url: `/api/keys/${id}/`, headers, ...(payload && { payload }) })
}

/** The HMAC the secret must be stored as, computed here apart from the app. */
function expectedHash(secret: string) {
  const hashKey = Buffer.from(hkdfSync('sha256', TEST_ENV.JWT_SECRET, '', 'ai-chat-api api-key hash', 32))
  return createHmac('sha256', hashKey).update(secret).digest('hex')
}

t.test('a new key shows its secret once; the list never does, and only its HMAC is stored', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const before = Date.now()
  const response = await createKey(app, headers, {
    name: '  laptop  ',
    expires_at: new Date(Date.now() + HOUR).toISOString(),
    models: ['offline'],
    monthly_limit: 5000,
    daily_limit: 0
  })
  t.equal(response.statusCode, 201)
  const key = response.json()
  t.same(Object.keys(key).sort(), [...KEY_FIELDS, 'secret'].sort())
  t.match(key.secret, SECRET_FORMAT)
  t.match(key, {
    name: 'laptop',
    last_four: key.secret.slice(-4),
    last_used_at: null,
    revoked_at: null,
    models: ['offline'],
    monthly_limit: 5000,
    daily_limit: 0,
    spend: { month: 0, day: 0 }
  })
  t.ok(Date.parse(key.created_at) >= before)
  t.ok(Date.parse(key.expires_at) > Date.now())

  const { secret, ...shown } = key
  const listed = await listKeys(app, headers)
  t.same(listed, [shown], 'listed without its secret')
  t.notOk(JSON.stringify(listed).includes(secret))

  const [row] = await state.apiKeys()
  t.not(row!.secretHash, secret, 'the secret itself is not stored')
  t.equal(row!.secretHash, expectedHash(secret), 'its HMAC is')
  t.notOk(JSON.stringify(await state.apiKeys()).includes(secret.slice(7)), 'nor any of its random part')
})

t.test('keys are listed newest first, each user their own, with every model when none is named', async (t) => {
  const { app } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  const first = await created(app, alice.headers, { name: 'first' })
  const second = await created(app, alice.headers, { name: 'second' })
  await created(app, bob.headers, { name: 'bob' })
  t.match(first, { models: null, monthly_limit: null, daily_limit: null, expires_at: null })
  t.not(first.secret, second.secret)
  t.same(
    (await listKeys(app, alice.headers)).map(({ name }: { name: string }) => name),
    ['second', 'first']
  )
  t.same(
    (await listKeys(app, bob.headers)).map(({ name }: { name: string }) => name),
    ['bob']
  )
})

t.test('a bad key request is a 400 problem and stores nothing', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const cases: Array<[string, object, string]> = [
    ['an empty name', { name: '' }, '#/name'],
    ['a name of whitespace', { name: '   ' }, '#/name'],
    ['a name too long', { name: 'x'.repeat(101) }, '#/name'],
    ['a past expiry', { name: 'k', expires_at: new Date(Date.now() - 1000).toISOString() }, '#/expires_at'],
    ['a day that does not exist', { name: 'k', expires_at: '2999-02-30T00:00:00Z' }, '#/expires_at'],
    ['a negative limit', { name: 'k', monthly_limit: -1 }, '#/monthly_limit'],
    ['a fractional limit', { name: 'k', daily_limit: 1.5 }, '#/daily_limit'],
    ['a repeated model', { name: 'k', models: ['offline', 'offline'] }, '#/models'],
    ['no models', { name: 'k', models: [] }, '#/models']
  ]
  for (const [what, payload, pointer] of cases) {
    const body = assertProblem(t, await createKey(app, headers, payload), {
      status: 400,
      code: 'validation_failed',
      instance: '/api/keys/',
      extensions: { errors: [] }
    })
    t.equal(body.errors[0].pointer, pointer, what)
  }
  assertProblem(t, await createKey(app, headers, { name: 'k', admin: true }), {
    status: 400,
    code: 'validation_failed',
    instance: '/api/keys/',
    extensions: { errors: [] }
  })
  const unknownModel = assertProblem(t, await createKey(app, headers, { name: 'k', models: ['offline', 'gpt-9'] }), {
    status: 400,
    code: 'model_not_allowed',
    instance: '/api/keys/',
    extensions: { errors: [] }
  })
  t.match(unknownModel.detail, /"gpt-9"/, 'the unknown model is named')
  t.equal(unknownModel.errors[0].pointer, '#/models/1')
  t.same(await state.apiKeys(), [])
})

t.test('a user holds at most 100 keys that are not revoked', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const keys = []
  for (let i = 0; i < 100; i++) keys.push(await created(app, headers, { name: `key ${i}` }))
  assertProblem(t, await createKey(app, headers, { name: 'one too many' }), {
    status: 409,
    code: 'too_many_api_keys',
    instance: '/api/keys/'
  })
  t.equal((await state.apiKeys()).length, 100)
  await onKey(app, headers, 'DELETE', keys[0].id)
  t.ok(await created(app, headers, { name: 'room again' }), 'a revoked key makes room')
})

t.test('an update changes what it names; null removes a limit or the model list', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const { secret: _secret, ...key } = await created(app, headers, {
    name: 'laptop',
    models: ['offline'],
    monthly_limit: 100,
    daily_limit: 10
  })
  const renamed = await onKey(app, headers, 'PATCH', key.id, { name: ' desk ' })
  t.equal(renamed.statusCode, 200)
  t.same(renamed.json(), { ...key, name: 'desk' })
  const widened = await onKey(app, headers, 'PATCH', key.id, { models: null, daily_limit: null, monthly_limit: 7 })
  t.same(widened.json(), { ...key, name: 'desk', models: null, daily_limit: null, monthly_limit: 7 })
  t.same(await listKeys(app, headers), [widened.json()])
  for (const payload of [{}, { name: '' }, { models: ['gpt-9'] }, { daily_limit: -1 }, { secret: 'mine' }]) {
    const response = await onKey(app, headers, 'PATCH', key.id, payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.match(response.headers['content-type'], /^application\/problem\+json/)
  }
  t.same(await listKeys(app, headers), [widened.json()], 'refused updates changed nothing')
})

t.test('another user’s or an unknown key is 404; a revoked key cannot be changed (409)', async (t) => {
  const { app } = await build(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  const key = await created(app, alice.headers)
  const instance = `/api/keys/${key.id}/`
  for (const method of ['PATCH', 'DELETE'] as const) {
    assertProblem(t, await onKey(app, bob.headers, method, key.id, method === 'PATCH' ? { name: 'x' } : undefined), {
      status: 404,
      code: 'api_key_not_found',
      instance
    })
  }
  assertProblem(t, await onKey(app, alice.headers, 'PATCH', key.id + 1, { name: 'x' }), {
    status: 404,
    code: 'api_key_not_found',
    instance: `/api/keys/${key.id + 1}/`
  })
  t.equal((await listKeys(app, alice.headers))[0].revoked_at, null, 'bob revoked nothing')
  await onKey(app, alice.headers, 'DELETE', key.id)
  assertProblem(t, await onKey(app, alice.headers, 'PATCH', key.id, { name: 'late' }), {
    status: 409,
    code: 'api_key_revoked',
    instance
  })
  const tooLarge = await onKey(app, alice.headers, 'DELETE', 2 ** 31)
  t.equal(tooLarge.statusCode, 400, 'an id past any key’s is refused as such')
})

t.test('revoking is idempotent: the second revocation answers with the first one’s time', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  const { secret: _secret, ...key } = await created(app, headers)
  const first = await onKey(app, headers, 'DELETE', key.id)
  t.equal(first.statusCode, 200)
  t.match(first.json(), { ...key, revoked_at: String })
  const second = await onKey(app, headers, 'DELETE', key.id)
  t.equal(second.statusCode, 200)
  t.same(second.json(), first.json())
  t.same(await listKeys(app, headers), [first.json()], 'a revoked key stays listed')
})

t.test('administrators list any user’s keys and revoke any key', async (t) => {
  const { app } = await build(t)
  const { user, admin } = await adminAndUser(app, 'alice')
  const { secret: _secret, ...key } = await created(app, user.headers)
  const listed = await app.inject({ method: 'GET', url: '/api/admin/users/ALICE/keys/', headers: admin.headers })
  t.equal(listed.statusCode, 200)
  t.same(listed.json(), { keys: [key] }, 'by username, regardless of case')
  assertProblem(t, await app.inject({ method: 'GET', url: '/api/admin/users/nobody/keys/', headers: admin.headers }), {
    status: 404,
    code: 'user_not_found',
    instance: '/api/admin/users/nobody/keys/'
  })
  const revoked = await app.inject({ method: 'DELETE', url: `/api/admin/keys/${key.id}/`, headers: admin.headers })
  t.equal(revoked.statusCode, 200)
  t.match(revoked.json(), { id: key.id, revoked_at: String })
  t.same(await listKeys(app, user.headers), [revoked.json()])
  assertProblem(t, await app.inject({ method: 'DELETE', url: '/api/admin/keys/999/', headers: admin.headers }), {
    status: 404,
    code: 'api_key_not_found',
    instance: '/api/admin/keys/999/'
  })
})

t.test('the admin key routes refuse anyone but administrators', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app, 'alice')
  const key = await created(app, headers)
  for (const [method, url] of [
    ['GET', '/api/admin/users/alice/keys/'],
    ['DELETE', `/api/admin/keys/${key.id}/`]
  ] as const) {
    assertProblem(t, await app.inject({ method, url, headers }), { status: 403, code: 'admin_required', instance: url })
    t.equal((await app.inject({ method, url })).statusCode, 401, `${method} ${url} without a token`)
  }
  t.equal((await listKeys(app, headers))[0].revoked_at, null)
})

t.test('the key routes need a login', async (t) => {
  const { app } = await build(t)
  for (const [method, url] of [
    ['GET', '/api/keys/'],
    ['POST', '/api/keys/'],
    ['PATCH', '/api/keys/1/'],
    ['DELETE', '/api/keys/1/']
  ] as const) {
    assertProblem(t, await app.inject({ method, url }), { status: 401, code: 'not_authenticated', instance: url })
  }
})

/** A store whose key uses are reported to `touched` instead of waiting for the database, when `hold` says so. */
function watchingTouches(touched: Array<{ keyId: number; now: number; staleBefore: number }>, hold?: Promise<void>) {
  return (store: Store): Store => ({
    ...store,
    touchApiKey: async (keyId, now, staleBefore) => {
      touched.push({ keyId, now, staleBefore })
      await hold
      return store.touchApiKey(keyId, now, staleBefore)
    }
  })
}

function collectingLog() {
  const lines: string[] = []
  return {
    lines,
    log: { warn: (_: object, line: string) => lines.push(line), error: (_: object, line: string) => lines.push(line) }
  }
}

t.test('authenticateApiKey finds the holder of a live key and records its use without waiting', async (t) => {
  const touched: Array<{ keyId: number; now: number; staleBefore: number }> = []
  const never = new Promise<void>(() => {})
  const { app } = await build(t, {}, { store: watchingTouches(touched, never) })
  const { headers } = await signUp(app, 'alice')
  const key = await created(app, headers, { name: 'laptop' })
  const hashKey = keyHashKeyFrom(TEST_ENV.JWT_SECRET)
  const { log, lines } = collectingLog()
  const now = Date.now()
  const holder = await authenticateApiKey(app.store, hashKey, key.secret, now, log)
  t.match(holder, { key: { id: key.id, name: 'laptop' }, user: { username: 'alice', isAdmin: false } })
  t.same(touched, [{ keyId: key.id, now, staleBefore: now - 60_000 }], 'the use is recorded, not waited for')
  t.same(lines, [])
})

t.test('a key whose use is recorded within the minute is authenticated without a write', async (t) => {
  const touched: Array<{ keyId: number; now: number; staleBefore: number }> = []
  const { app } = await build(t, {}, { store: watchingTouches(touched) })
  const { headers } = await signUp(app, 'alice')
  const key = await created(app, headers)
  const hashKey = keyHashKeyFrom(TEST_ENV.JWT_SECRET)
  const { log } = collectingLog()
  const first = Date.now()
  await authenticateApiKey(app.store, hashKey, key.secret, first, log)
  await app.store.touchApiKey(key.id, first, first - 60_000)
  touched.length = 0
  t.match(await authenticateApiKey(app.store, hashKey, key.secret, first + 59_000, log), { key: { id: key.id } })
  t.same(touched, [], 'a use 59 s after the recorded one writes nothing')
  await authenticateApiKey(app.store, hashKey, key.secret, first + 61_000, log)
  t.same(touched, [{ keyId: key.id, now: first + 61_000, staleBefore: first + 1000 }], 'a minute later it is recorded')
})

t.test('a recorded use shows in the list', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app, 'alice')
  const key = await created(app, headers)
  const now = Date.now()
  await app.store.touchApiKey(key.id, now, now - 60_000)
  t.equal((await listKeys(app, headers))[0].last_used_at, new Date(now).toISOString())
})

t.test('a use that cannot be recorded is logged and the key still authenticates', async (t) => {
  let rejected!: () => void
  const failed = new Promise<void>((resolve) => (rejected = resolve))
  const { app } = await build(
    t,
    {},
    {
      store: (store) => ({
        ...store,
        touchApiKey: async () => {
          setImmediate(rejected)
          throw new Error('the disk caught fire')
        }
      })
    }
  )
  const { headers } = await signUp(app, 'alice')
  const key = await created(app, headers)
  const { log, lines } = collectingLog()
  const holder = await authenticateApiKey(app.store, keyHashKeyFrom(TEST_ENV.JWT_SECRET), key.secret, Date.now(), log)
  t.match(holder, { key: { id: key.id } })
  await failed
  t.same(lines, [`the use of API key ${key.id} could not be recorded`])
})

t.test('authenticateApiKey misses revoked, expired, deactivated and garbage secrets', async (t) => {
  const touched: Array<{ keyId: number; now: number; staleBefore: number }> = []
  const { app } = await build(t, {}, { store: watchingTouches(touched) })
  const { headers } = await signUp(app, 'alice')
  const admin = await signUpAdmin(app)
  const hashKey = keyHashKeyFrom(TEST_ENV.JWT_SECRET)
  const { log } = collectingLog()
  const now = Date.now()
  const find = (secret: string, at = now) => authenticateApiKey(app.store, hashKey, secret, at, log)

  const revoked = await created(app, headers, { name: 'revoked' })
  await onKey(app, headers, 'DELETE', revoked.id)
  t.equal(await find(revoked.secret), undefined, 'a revoked key')

  const expiring = await created(app, headers, { name: 'expiring', expires_at: new Date(now + HOUR).toISOString() })
  t.ok(await find(expiring.secret, now + HOUR - 1), 'live until it expires')
  t.equal(await find(expiring.secret, now + HOUR), undefined, 'an expired key')

  t.equal(await find('not-a-key'), undefined, 'no sk-acp- prefix')
  t.equal(await find('sk-acp-' + 'A'.repeat(43)), undefined, 'a secret no key has')
  t.equal(await find(expectedHash(expiring.secret)), undefined, 'the stored hash is no secret')
  t.equal(await find(revoked.secret.toUpperCase()), undefined)

  await setActive(app, admin.headers, 'alice', false)
  t.equal(await find(expiring.secret), undefined, 'a deactivated user’s key')
  t.same(
    touched.map(({ keyId }) => keyId),
    [expiring.id],
    'only the hit recorded a use'
  )
})
