import t from 'tap'
import { USAGE } from './fake-openai.js'
import { assertProblem } from './helper.js'
import {
  assertBooksBalance,
  balanceOf,
  chat,
  chatLedger,
  expectedCost,
  expectedHold,
  heldAndSettled,
  MESSAGE,
  onlyChat,
  promptBoundOf,
  setup,
  SMALL
} from './metering-setup.js'

const PROMPT_BOUND = promptBoundOf(MESSAGE)
const FULL_HOLD = expectedHold(SMALL, PROMPT_BOUND)
/** A balance that cannot hold the whole reply, but a few hundred of its tokens. */
const LOW_BALANCE = 31

/** The largest max_tokens whose hold fits in `balance`, found by counting down from the model's own. */
function affordable(balance: number) {
  let maxTokens = SMALL.maxTokens
  while (maxTokens > 0 && expectedHold(SMALL, PROMPT_BOUND, maxTokens) > balance) maxTokens--
  return maxTokens
}

t.test('a balance of exactly the hold sends the model its full max_tokens', async (t) => {
  const { app, state, headers, fake } = await setup(t, { INITIAL_TOKENS: String(FULL_HOLD) })

  const response = await chat(app, headers, { message: MESSAGE })

  t.equal(response.statusCode, 201)
  t.equal(fake.received[0]!.body.max_tokens, SMALL.maxTokens)
  t.match(await onlyChat(state), { hold: FULL_HOLD })
  await assertBooksBalance(t, app, state)
})

t.test('a balance below the hold lowers max_tokens to exactly what it affords', async (t) => {
  const { app, state, headers, fake } = await setup(t, { INITIAL_TOKENS: String(LOW_BALANCE) })
  const maxTokens = affordable(LOW_BALANCE)
  t.ok(maxTokens >= 16 && maxTokens < SMALL.maxTokens, `${maxTokens} tokens are affordable`)
  const hold = expectedHold(SMALL, PROMPT_BOUND, maxTokens)
  const cost = expectedCost(SMALL, { prompt: USAGE.prompt_tokens, completion: USAGE.completion_tokens })

  const response = await chat(app, headers, { message: MESSAGE })

  t.equal(response.statusCode, 201)
  t.equal(fake.received[0]!.body.max_tokens, maxTokens, 'the model was asked for what the balance affords')
  t.ok(hold <= LOW_BALANCE, 'the hold fits the balance')
  t.ok(expectedHold(SMALL, PROMPT_BOUND, maxTokens + 1) > LOW_BALANCE, 'one token more would not')
  t.match(response.json(), { cost, remaining_tokens: LOW_BALANCE - cost })
  t.match(await onlyChat(state), { hold, cost })
  t.same(await chatLedger(state), heldAndSettled(hold, cost))
  t.equal(await balanceOf(app, headers), LOW_BALANCE - cost)
  await assertBooksBalance(t, app, state)
})

t.test('a balance below the smallest call is 402 insufficient_tokens, naming that call’s cost', async (t) => {
  const balance = expectedHold(SMALL, PROMPT_BOUND, 16) - 1
  const { app, state, headers, fake } = await setup(t, { INITIAL_TOKENS: String(balance) })

  const response = await chat(app, headers, { message: MESSAGE })

  assertProblem(t, response, {
    status: 402,
    code: 'insufficient_tokens',
    instance: '/api/chat_msg/',
    extensions: { balance, cost: expectedHold(SMALL, PROMPT_BOUND, 16) }
  })
  t.equal(fake.received.length, 0, 'the model was not called')
  t.equal(await state.countChats(), 0)
  t.same(await chatLedger(state), [])
  t.equal(await balanceOf(app, headers), balance)
})

t.test('MIN_OUTPUT_TOKENS sets the smallest reply a lowered max_tokens may leave', async (t) => {
  const maxTokens = affordable(LOW_BALANCE)

  t.test('one token above what the balance affords is 402', async (t) => {
    const env = { INITIAL_TOKENS: String(LOW_BALANCE), MIN_OUTPUT_TOKENS: String(maxTokens + 1) }
    const { app, state, headers, fake } = await setup(t, env)

    const response = await chat(app, headers, { message: MESSAGE })

    assertProblem(t, response, {
      status: 402,
      code: 'insufficient_tokens',
      instance: '/api/chat_msg/',
      extensions: { balance: LOW_BALANCE, cost: expectedHold(SMALL, PROMPT_BOUND, maxTokens + 1) }
    })
    t.equal(fake.received.length, 0)
    t.equal(await state.countChats(), 0)
  })

  t.test('exactly what the balance affords is sent', async (t) => {
    const env = { INITIAL_TOKENS: String(LOW_BALANCE), MIN_OUTPUT_TOKENS: String(maxTokens) }
    const { app, state, headers, fake } = await setup(t, env)

    const response = await chat(app, headers, { message: MESSAGE })

    t.equal(response.statusCode, 201)
    t.equal(fake.received[0]!.body.max_tokens, maxTokens)
    await assertBooksBalance(t, app, state)
  })
})
