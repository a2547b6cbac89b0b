import t from 'tap'
import { spendPeriods } from '../src/db/storage-rules.js'
import type { App } from '../src/app.js'
import { signUpAdmin } from './admin-helper.js'
import { USAGE } from './fake-openai.js'
import { assertProblem, build, signUp } from './helper.js'
import {
  assertBooksBalance,
  chat,
  expectedCost,
  expectedHold,
  MESSAGE,
  onlyChat,
  promptBoundOf,
  setup,
  SMALL
} from './metering-setup.js'

type Headers = Record<string, string>

const setOwnLimit = (app: App, headers: Headers, payload: Record<string, unknown>) =>
  app.inject({ method: 'PATCH', url: '/api/account/', headers, payload })
const readLimits = (app: App, headers: Headers) => app.inject({ method: 'GET', url: '/api/account/limits/', headers })
const sendChat = (app: App, headers: Headers) =>
  app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'hello' } })

const monthResetsAt = () => new Date(spendPeriods(Date.now()).monthResetAt).toISOString()

t.test('a monthly limit that is not a whole number of tokens or null is refused, and nothing changes', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  for (const payload of [{ monthly_limit: -1 }, { monthly_limit: 1.5 }, { monthly_limit: '10' }, {}, { limit: 5 }]) {
    const response = await setOwnLimit(app, headers, payload)
    assertProblem(t, response, {
      status: 400,
      code: 'validation_failed',
      instance: '/api/account/',
      extensions: { errors: response.json().errors }
    })
  }
  t.same((await readLimits(app, headers)).json(), {
    monthly_limit: null,
    admin_monthly_limit: null,
    month_spent: 0,
    month_resets_at: monthResetsAt()
  })
})

t.test('a user sets and removes their own monthly limit and reads this month’s spend', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  t.equal((await sendChat(app, headers)).statusCode, 201)
  const set = await setOwnLimit(app, headers, { monthly_limit: 1000 })
  t.equal(set.statusCode, 200)
  const limits = { monthly_limit: 1000, admin_monthly_limit: null, month_spent: 100, month_resets_at: monthResetsAt() }
  t.same(set.json(), limits, 'the chat before the limit counts')
  t.same((await readLimits(app, headers)).json(), limits)
  t.same((await setOwnLimit(app, headers, { monthly_limit: null })).json(), { ...limits, monthly_limit: null })
})

t.test('a chat its own monthly limit cannot cover is 429 spend_limit_reached, and nothing is charged', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  await setOwnLimit(app, headers, { monthly_limit: 150 })
  t.equal((await sendChat(app, headers)).statusCode, 201)
  const ledgerBefore = await state.ledger()

  const response = await sendChat(app, headers)

  const body = assertProblem(t, response, {
    status: 429,
    code: 'spend_limit_reached',
    instance: '/api/chat_msg/',
    extensions: { limit: 'user_monthly', limit_tokens: 150, remaining: 50, reset_at: monthResetsAt() }
  })
  t.match(body.detail, /monthly spend limit you set/)
  const retryAfter = Number(response.headers['retry-after'])
  const secondsToReset = Math.ceil((spendPeriods(Date.now()).monthResetAt - Date.now()) / 1000)
  t.ok(retryAfter > 0 && retryAfter <= secondsToReset + 1, `Retry-After ${retryAfter} is the time to the reset`)
  t.same(await state.ledger(), ledgerBefore, 'nothing charged')
  t.equal(await state.countChats(), 1)
  t.match((await readLimits(app, headers)).json(), { month_spent: 100 })
})

t.test('an administrator’s monthly limit refuses as admin_monthly, beside the user’s own', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)
  const admin = await signUpAdmin(app)
  await setOwnLimit(app, headers, { monthly_limit: 1000 })
  const patched = await app.inject({
    method: 'PATCH',
    url: '/api/admin/users/alice/',
    headers: admin.headers,
    payload: { monthly_limit: 60 }
  })
  t.equal(patched.statusCode, 200)
  t.match((await readLimits(app, headers)).json(), { monthly_limit: 1000, admin_monthly_limit: 60 })
  const invalid = await app.inject({
    method: 'PATCH',
    url: '/api/admin/users/alice/',
    headers: admin.headers,
    payload: { monthly_limit: -5 }
  })
  t.equal(invalid.statusCode, 400)

  assertProblem(t, await sendChat(app, headers), {
    status: 429,
    code: 'spend_limit_reached',
    instance: '/api/chat_msg/',
    extensions: { limit: 'admin_monthly', limit_tokens: 60, remaining: 60, reset_at: monthResetsAt() }
  })
  t.equal(await state.countChats(), 0)
})

t.test('a limit below the hold lowers max_tokens to what the limit affords', async (t) => {
  const { app, state, headers, fake } = await setup(t, { INITIAL_TOKENS: '100000' })
  const promptBound = promptBoundOf(MESSAGE)
  const limit = 31
  let maxTokens = SMALL.maxTokens
  while (expectedHold(SMALL, promptBound, maxTokens) > limit) maxTokens--
  t.ok(maxTokens >= 16 && maxTokens < SMALL.maxTokens, `${maxTokens} tokens fit the limit`)
  await setOwnLimit(app, headers, { monthly_limit: limit })

  const response = await chat(app, headers, { message: MESSAGE })

  t.equal(response.statusCode, 201)
  t.equal(fake.received[0]!.body.max_tokens, maxTokens, 'the model was asked for what the limit affords')
  const cost = expectedCost(SMALL, { prompt: USAGE.prompt_tokens, completion: USAGE.completion_tokens })
  t.match(await onlyChat(state), { hold: expectedHold(SMALL, promptBound, maxTokens), cost })
  t.match((await readLimits(app, headers)).json(), { month_spent: cost }, 'the unused hold came back to the month')
  await assertBooksBalance(t, app, state)
})
