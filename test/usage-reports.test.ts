import { join } from 'node:path'
import t, { type Test } from 'tap'
import { AiProviderError } from '../src/ai/errors.js'
import type { App } from '../src/app.js'
import { DAY_MS } from '../src/db/storage-rules.js'
import { signUpAdmin } from './admin-helper.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'
import { createPostgresDatabase, TEST_DATABASE_URL } from './postgres-test-database.js'

type Headers = Record<string, string>

const USAGE = '/api/usage/'
const ADMIN_USAGE = '/api/admin/usage/'

/** Credits per 1M tokens; the worked costs below follow from them (cost.ts rounds the token part up). */
const MODELS = {
  default: 'small',
  models: {
    small: { request: 1, input: 10_000, cached_input: 5_000, output: 20_000, max_output_tokens: 1000 },
    large: { request: 10, input: 100_000, cached_input: 50_000, output: 300_000, max_output_tokens: 1000 }
  }
}

/** A message "1000 200 500" is answered with that usage (prompt, cached, completion); "fail" gets no answer. */
const provider = providerFrom('scripted', async ({ model, messages }) => {
  const message = messages.at(-1)!.content
  if (message === 'fail') throw new AiProviderError('error', 'the model failed')
  const [promptTokens = 0, cachedTokens = 0, completionTokens = 0] = message.split(' ').map(Number)
  return { text: 'a reply', model, usage: { promptTokens, cachedTokens, completionTokens } }
})

// small: 1 + (800 × 10,000 + 200 × 5,000 + 500 × 20,000) / 10^6 = 20; large: 10 + (80 + 10 + 150) = 250.
const BIG = '1000 200 500'
// small: 1 + ceil((100 × 10,000 + 50 × 20,000) / 10^6) = 3; large: 10 + (10 + 15) = 35.
const SMALL = '100 0 50'

/** The reports' SQL is the store's (test/store/usage.test.ts); the tests that read several groups run on both. */
const DATABASES = ['sqlite', ...(TEST_DATABASE_URL ? ['postgres' as const] : [])] as const

async function setup(t: Test, database: (typeof DATABASES)[number] = 'sqlite') {
  const directory = t.testdir({ 'models.json': JSON.stringify(MODELS) })
  const postgres = database === 'postgres' ? await createPostgresDatabase(TEST_DATABASE_URL!) : undefined
  const env = {
    MODELS_FILE: join(directory, 'models.json'),
    DATABASE_URL: postgres?.url ?? join(directory, 'test.sqlite')
  }
  const built = await build(t, env, { provider })
  // Teardowns run in the order they were added: the app is closed before its database is dropped.
  if (postgres) t.teardown(postgres.drop)
  return built
}

async function chat(app: App, headers: Headers, message: string, model?: string) {
  const payload = model === undefined ? { message } : { message, model }
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload })
}

function report(app: App, url: string, headers: Headers, query: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers, query })
}

async function reportJson(app: App, url: string, headers: Headers, query: Record<string, string> = {}) {
  const response = await report(app, url, headers, query)
  if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${response.body}`)
  return response.json()
}

function isoDate(time: number) {
  return new Date(time).toISOString().slice(0, 10)
}

function thisMonth(now = new Date()) {
  const year = now.getUTCFullYear()
  const month = now.getUTCMonth()
  return { from: isoDate(Date.UTC(year, month, 1)), to: isoDate(Date.UTC(year, month + 1, 1) - DAY_MS) }
}

const totals = (requests: number, prompt: number, cached: number, completion: number, credits: number) => ({
  requests,
  prompt_tokens: prompt,
  cached_tokens: cached,
  completion_tokens: completion,
  credits
})

/** A chat settled at `createdAt` through the store, as the API settled it on that day; returns nothing. */
async function settledOn(app: App, userId: number, createdAt: number, model: string, cost: number) {
  const reserved = await app.store.reserveChat({
    userId,
    origin: 'chat',
    conversationId: undefined,
    newConversationTitle: 'earlier',
    message: 'earlier',
    model,
    hold: cost,
    lease: { holder: 'test', expiresAt: createdAt + 60_000 },
    now: createdAt
  })
  if (!reserved.reserved) throw new Error(`not reserved: ${reserved.reason}`)
  const usage = { source: 'provider', promptTokens: 10, cachedTokens: 0, completionTokens: 5 } as const
  await app.store.settleChat({
    chatId: reserved.chatId,
    status: 'completed',
    response: 'earlier reply',
    upstreamModel: model,
    usage,
    cost,
    now: createdAt
  })
}

async function userIdOf(app: App, username: string) {
  const account = await app.store.findAccount(username)
  if (!account) throw new Error(`no user ${username}`)
  return account.id
}

t.test('your usage this month, by day: today’s answered messages summed, nothing charged for reading', async (t) => {
  const { app } = await setup(t)
  const { headers } = await signUp(app)
  t.equal((await chat(app, headers, BIG)).statusCode, 201)
  t.equal((await chat(app, headers, SMALL, 'large')).statusCode, 201)
  t.equal((await chat(app, headers, SMALL)).statusCode, 201)
  const response = await report(app, USAGE, headers)
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json\b/)
  t.equal(response.headers.vary, 'accept')
  t.same(response.json(), {
    ...thisMonth(),
    group_by: 'day',
    items: [{ day: isoDate(Date.now()), ...totals(3, 1200, 200, 600, 58) }],
    next_cursor: null
  })
  const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  t.equal(balance.json().tokens, 4000 - 58)
})

t.test('your usage by model: a row per model, in code point order', async (t) => {
  const { app } = await setup(t)
  const { headers } = await signUp(app)
  await chat(app, headers, BIG)
  await chat(app, headers, BIG, 'large')
  await chat(app, headers, SMALL, 'large')
  t.same((await reportJson(app, USAGE, headers, { group_by: 'model' })).items, [
    { model: 'large', ...totals(2, 1100, 200, 550, 285) },
    { model: 'small', ...totals(1, 1000, 200, 500, 20) }
  ])
})

t.test('another user’s usage is never in yours, and refunded messages are not counted', async (t) => {
  const { app } = await setup(t)
  const alice = await signUp(app, 'alice')
  const bob = await signUp(app, 'bob')
  await chat(app, alice.headers, SMALL)
  t.equal((await chat(app, alice.headers, 'fail')).statusCode, 502)
  await chat(app, bob.headers, BIG, 'large')
  t.same((await reportJson(app, USAGE, alice.headers)).items, [
    { day: isoDate(Date.now()), ...totals(1, 100, 0, 50, 3) }
  ])
  t.same((await reportJson(app, USAGE, bob.headers, { group_by: 'model' })).items, [
    { model: 'large', ...totals(1, 1000, 200, 500, 250) }
  ])
})

t.test('a range of days counts its days, both ends included; the default month leaves the others out', async (t) => {
  const { app } = await setup(t)
  const { headers } = await signUp(app)
  const alice = await userIdOf(app, 'alice')
  const march = Date.UTC(2025, 2, 1)
  await settledOn(app, alice, march - 1, 'small', 7)
  await settledOn(app, alice, march, 'small', 3)
  await settledOn(app, alice, march + 30 * DAY_MS + DAY_MS - 1, 'large', 4)
  await settledOn(app, alice, march + 31 * DAY_MS, 'large', 9)
  const days = (items: { day: string; credits: number }[]) => items.map(({ day, credits }) => [day, credits])
  const range = await reportJson(app, USAGE, headers, { from: '2025-03-01', to: '2025-03-31' })
  t.match(range, { from: '2025-03-01', to: '2025-03-31', next_cursor: null })
  t.same(days(range.items), [
    ['2025-03-01', 3],
    ['2025-03-31', 4]
  ])
  t.same((await reportJson(app, USAGE, headers)).items, [], 'this month has none of them')
  const fromOnly = await reportJson(app, USAGE, headers, { from: '2025-03-31' })
  t.match(fromOnly, { from: '2025-03-31', to: '2025-03-31' }, 'from alone: the rest of its month')
  const toOnly = await reportJson(app, USAGE, headers, { to: '2025-02-28' })
  t.match(toOnly, { from: '2025-02-01', to: '2025-02-28' }, 'to alone: its month up to it')
  t.same(days(toOnly.items), [['2025-02-28', 7]])
  const year = await reportJson(app, USAGE, headers, { from: '2024-04-01', to: '2025-03-31', group_by: 'model' })
  t.same(year.items, [
    { model: 'large', ...totals(1, 10, 0, 5, 4) },
    { model: 'small', ...totals(2, 20, 0, 10, 10) }
  ])
})

t.test('a bad range, date, grouping, cursor or page size is a validation problem naming the field', async (t) => {
  const { app } = await setup(t)
  const { headers } = await signUp(app)
  const cases: [Record<string, string>, string, string][] = [
    [{ from: '2026-03-02', to: '2026-03-01' }, '#/from', 'must not be after `to`'],
    [{ from: '2025-01-01', to: '2026-01-02' }, '#/to', 'must be at most 365 days after `from`'],
    [{ from: '2026-02-30' }, '#/from', 'must match format "date"'],
    [{ to: '2026-1-5' }, '#/to', 'must match format "date"'],
    [{ from: 'yesterday' }, '#/from', 'must match format "date"'],
    [{ group_by: 'user' }, '#/group_by', 'must be one of day, model'],
    [{ cursor: Buffer.from('model:small').toString('base64url') }, '#/cursor', 'is not a cursor of this report'],
    [{ cursor: 'not a cursor!' }, '#/cursor', 'must match the format'],
    [{ limit: '0' }, '#/limit', 'must be >= 1'],
    [{ limit: '101' }, '#/limit', 'must be <= 100'],
    [{ month: '12' }, '#/month', 'is not an allowed property']
  ]
  for (const [query, pointer, message] of cases) {
    const response = await report(app, USAGE, headers, query)
    const body = assertProblem(t, response, {
      status: 400,
      code: 'validation_failed',
      instance: response.raw.req.url!,
      extensions: { errors: [{ pointer, location: 'querystring' }] }
    })
    t.match(body.errors[0].message, message, JSON.stringify(query))
  }
  const leapYear = await report(app, USAGE, headers, { from: '2024-01-01', to: '2024-12-31' })
  t.equal(leapYear.statusCode, 200, '366 days, both ends included, are allowed')
})

t.test('without an access token both reports are 401; the admin report is 403 for anyone else', async (t) => {
  const { app } = await setup(t)
  for (const url of [USAGE, ADMIN_USAGE]) {
    assertProblem(t, await report(app, url, {}), { status: 401, code: 'not_authenticated', instance: url })
  }
  const { headers } = await signUp(app)
  assertProblem(t, await report(app, ADMIN_USAGE, headers), {
    status: 403,
    code: 'admin_required',
    instance: ADMIN_USAGE
  })
})

for (const database of DATABASES) {
  t.test(
    `${database}: administrators see everyone’s usage by user (the default), model or day, or one user’s`,
    async (t) => {
      const { app } = await setup(t, database)
      const alice = await signUp(app, 'alice')
      const bob = await signUp(app, 'Bob')
      const admin = await signUpAdmin(app)
      await chat(app, bob.headers, BIG, 'large')
      await chat(app, alice.headers, BIG)
      await chat(app, alice.headers, SMALL, 'large')
      t.same(await reportJson(app, ADMIN_USAGE, admin.headers), {
        ...thisMonth(),
        group_by: 'user',
        items: [
          { username: 'alice', ...totals(2, 1100, 200, 550, 55) },
          { username: 'Bob', ...totals(1, 1000, 200, 500, 250) }
        ],
        next_cursor: null
      })
      t.same((await reportJson(app, ADMIN_USAGE, admin.headers, { group_by: 'model' })).items, [
        { model: 'large', ...totals(2, 1100, 200, 550, 285) },
        { model: 'small', ...totals(1, 1000, 200, 500, 20) }
      ])
      t.same((await reportJson(app, ADMIN_USAGE, admin.headers, { group_by: 'day' })).items, [
        { day: isoDate(Date.now()), ...totals(3, 2100, 400, 1050, 305) }
      ])
      const bobs = await reportJson(app, ADMIN_USAGE, admin.headers, { username: 'BOB', group_by: 'model' })
      t.same(bobs.items, [{ model: 'large', ...totals(1, 1000, 200, 500, 250) }], 'the username regardless of case')
      const nobody = await report(app, ADMIN_USAGE, admin.headers, { username: 'nobody' })
      assertProblem(t, nobody, { status: 404, code: 'user_not_found', instance: nobody.raw.req.url! })
    }
  )
}

for (const database of DATABASES) {
  t.test(`${database}: pages follow next_cursor to the last, whatever the grouping`, async (t) => {
    const { app } = await setup(t, database)
    const admin = await signUpAdmin(app)
    const ann = await signUp(app, 'ann')
    await chat(app, ann.headers, SMALL)
    for (const name of ['ben', 'cat', 'dan', 'eve']) await chat(app, (await signUp(app, name)).headers, SMALL)
    const annId = await userIdOf(app, 'ann')
    for (const day of [1, 2, 3]) await settledOn(app, annId, Date.UTC(2025, 4, day), day === 2 ? 'large' : 'small', day)
    const readAll = async (url: string, headers: Headers, query: Record<string, string>) => {
      const pages = [await reportJson(app, url, headers, query)]
      while (pages.at(-1).next_cursor !== null) {
        pages.push(await reportJson(app, url, headers, { ...query, cursor: pages.at(-1).next_cursor }))
      }
      return pages.map((page) => page.items)
    }
    const users = await readAll(ADMIN_USAGE, admin.headers, { limit: '2' })
    t.same(
      users.map((items) => items.map((item: { username: string }) => item.username)),
      [['ann', 'ben'], ['cat', 'dan'], ['eve']]
    )
    const may = { from: '2025-05-01', to: '2025-05-31' }
    const days = await readAll(ADMIN_USAGE, admin.headers, { ...may, group_by: 'day', limit: '2' })
    t.same(
      days.map((items) => items.map((item: { day: string }) => item.day)),
      [['2025-05-01', '2025-05-02'], ['2025-05-03']]
    )
    const models = await readAll(USAGE, ann.headers, { ...may, group_by: 'model', limit: '1' })
    t.same(models, [[{ model: 'large', ...totals(1, 10, 0, 5, 2) }], [{ model: 'small', ...totals(2, 20, 0, 10, 4) }]])
  })
}

t.test('Accept: text/csv answers the page as RFC 4180 CSV, and the next page in a Link header', async (t) => {
  const { app } = await setup(t)
  const admin = await signUpAdmin(app)
  for (const name of ['ann', 'ben', 'cat']) await chat(app, (await signUp(app, name)).headers, BIG)
  const csvHeaders = { ...admin.headers, accept: 'text/csv' }
  const first = await report(app, ADMIN_USAGE, csvHeaders, { limit: '2' })
  t.equal(first.statusCode, 200)
  t.equal(first.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(first.headers.vary, 'accept')
  t.equal(
    first.body,
    'username,requests,prompt_tokens,cached_tokens,completion_tokens,credits\r\n' +
      'ann,1,1000,200,500,20\r\nben,1,1000,200,500,20\r\n'
  )
  const { from, to } = thisMonth()
  const link = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link))
  t.ok(link, `a Link to the next page: ${first.headers.link}`)
  const next = new URL(link![1]!, 'http://localhost')
  t.equal(next.pathname, ADMIN_USAGE)
  t.match(Object.fromEntries(next.searchParams), { from, to, group_by: 'user', limit: '2', cursor: /./ })
  const last = await app.inject({ method: 'GET', url: link![1]!, headers: csvHeaders })
  t.equal(
    last.body,
    'username,requests,prompt_tokens,cached_tokens,completion_tokens,credits\r\ncat,1,1000,200,500,20\r\n'
  )
  t.equal(last.headers.link, undefined, 'the last page links nowhere')
  const json = await reportJson(app, ADMIN_USAGE, admin.headers, { limit: '2' })
  t.equal(json.next_cursor, next.searchParams.get('cursor'), 'the same cursor as the JSON page')
  const empty = await report(app, USAGE, { ...admin.headers, accept: 'text/csv' })
  t.equal(empty.body, 'day,requests,prompt_tokens,cached_tokens,completion_tokens,credits\r\n', 'only the header')
})

for (const database of DATABASES) {
  t.test(
    `${database}: CSV quotes a field with a comma or a double quote; a chat that named no model is an empty field`,
    async (t) => {
      const { app } = await setup(t, database)
      const { headers } = await signUp(app)
      const alice = await userIdOf(app, 'alice')
      // Chats from before metering keep the model name the provider gave (any text), or none.
      await settledOn(app, alice, Date.now(), 'legacy, "v1"', 5)
      await settledOn(app, alice, Date.now(), '', 2)
      const json = await reportJson(app, USAGE, headers, { group_by: 'model' })
      t.same(
        json.items.map((item: { model: string | null }) => item.model),
        [null, 'legacy, "v1"']
      )
      const csv = await report(app, USAGE, { ...headers, accept: 'text/csv' }, { group_by: 'model' })
      t.equal(
        csv.body,
        'model,requests,prompt_tokens,cached_tokens,completion_tokens,credits\r\n' +
          ',1,10,0,5,2\r\n' +
          '"legacy, ""v1""",1,10,0,5,5\r\n'
      )
    }
  )
}
