import t from 'tap'
import { collectEvents } from './event-stream-client.js'
import { FAKE_MODEL, type Usage } from './fake-openai.js'
import { assertProblem, build, signUp } from './helper.js'
import {
  assertBooksBalance,
  balanceOf,
  chat,
  chatLedger,
  estimatedCompletionOf,
  estimatedPromptOf,
  expectedCost,
  expectedHold,
  heldAndSettled,
  LARGE,
  MESSAGE,
  onlyChat,
  promptBoundOf,
  setup,
  SMALL,
  streamChat,
  SYSTEM_PROMPT
} from './metering-setup.js'

t.test('GET /api/models/ lists every model with its prices, and the default', async (t) => {
  const { app, headers } = await setup(t)

  const response = await app.inject({ method: 'GET', url: '/api/models/', headers })

  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    default: 'small',
    models: [
      {
        id: 'small',
        description: 'Quick answers',
        request: 1,
        input: 15000.5,
        cached_input: 7500.25,
        output: 60000,
        max_output_tokens: 1024
      },
      {
        id: 'large',
        description: null,
        request: 5,
        input: 25000,
        cached_input: 12500,
        output: 100000,
        max_output_tokens: 4096
      }
    ]
  })
})

t.test('a reply holds its worst case, then settles to the usage the provider reported', async (t) => {
  const { app, state, headers, fake } = await setup(t)
  fake.next({ kind: 'answer', text: 'Paris.', usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 } })
  const hold = expectedHold(SMALL, promptBoundOf(MESSAGE))
  const cost = expectedCost(SMALL, { prompt: 30, completion: 12 })
  t.ok(cost < hold, `the reply (${cost}) cost less than the hold (${hold})`)

  const response = await chat(app, headers, { message: MESSAGE })

  t.equal(response.statusCode, 201)
  t.match(response.json(), {
    response: 'Paris.',
    status: 'completed',
    cost,
    model: 'small',
    upstream_model: FAKE_MODEL,
    usage: { prompt_tokens: 30, cached_tokens: 0, completion_tokens: 12 },
    usage_source: 'provider',
    remaining_tokens: 4000 - cost
  })
  t.match(fake.received[0]!.body, { model: 'fake-small', max_tokens: 1024, stream: false })
  t.notOk('stream_options' in fake.received[0]!.body, 'stream options go with streams only')
  t.match(await onlyChat(state), {
    status: 'completed',
    model: 'small',
    upstreamModel: FAKE_MODEL,
    hold,
    cost,
    promptTokens: 30,
    cachedTokens: 0,
    completionTokens: 12,
    usageSource: 'provider'
  })
  t.same(await chatLedger(state), heldAndSettled(hold, cost))
  t.equal(await balanceOf(app, headers), 4000 - cost)
  t.match(await state.usageDaily(), [
    { model: 'small', requests: 1, promptTokens: 30, cachedTokens: 0, completionTokens: 12, credits: cost }
  ])
  const settled = { model: 'small', cost, usage_source: 'provider' }
  const transactions = await app.inject({ method: 'GET', url: '/api/transactions/', headers })
  t.match(transactions.json().items, [
    { reason: 'settle', delta: hold - cost, balance_after: 4000 - cost, chat: settled },
    { reason: 'chat', delta: -hold, balance_after: 4000 - hold, chat: settled },
    { reason: 'signup', chat: null }
  ])
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, new RegExp(`^chat_tokens_charged_total ${hold}$`, 'm'), 'the hold is counted as charged')
  t.match(metrics, new RegExp(`^chat_tokens_refunded_total ${hold - cost}$`, 'm'), 'and its unused part as refunded')
  await assertBooksBalance(t, app, state)
})

t.test('a streamed reply asks for its usage (include_usage) and settles to it', async (t) => {
  const { app, state, access, headers, fake } = await setup(t)
  const usage = { prompt_tokens: 33, completion_tokens: 5, total_tokens: 38 }
  fake.next({ kind: 'stream', chunks: ['Once ', 'upon ', 'a time.'], usage })
  const hold = expectedHold(SMALL, promptBoundOf(MESSAGE))
  const cost = expectedCost(SMALL, { prompt: 33, completion: 5 })

  const events = await collectEvents(await streamChat(app, access, MESSAGE))

  t.match(events.at(-1), {
    event: 'done',
    data: {
      response: 'Once upon a time.',
      cost,
      usage: { prompt_tokens: 33, cached_tokens: 0, completion_tokens: 5 },
      usage_source: 'provider',
      remaining_tokens: 4000 - cost
    }
  })
  t.match(fake.received[0]!.body, {
    model: 'fake-small',
    max_tokens: 1024,
    stream: true,
    stream_options: { include_usage: true }
  })
  t.match(await onlyChat(state), { hold, cost, usageSource: 'provider' })
  t.same(await chatLedger(state), heldAndSettled(hold, cost))
  t.equal(await balanceOf(app, headers), 4000 - cost)
  await assertBooksBalance(t, app, state)
})

t.test('prompt tokens served from the cache are priced at cached_input', async (t) => {
  const { app, state, headers, fake } = await setup(t)
  // A long message, so that the reported prompt stays within its proven bound.
  const message = 'Please summarise this. '.repeat(120)
  const usage = { prompt_tokens: 2000, completion_tokens: 300, total_tokens: 2300 }
  fake.next({ kind: 'answer', text: 'A summary.', usage: { ...usage, prompt_tokens_details: { cached_tokens: 1500 } } })
  t.ok(usage.prompt_tokens <= promptBoundOf(message))
  const hold = expectedHold(SMALL, promptBoundOf(message))
  const cost = expectedCost(SMALL, { prompt: 2000, cached: 1500, completion: 300 })
  t.ok(cost < expectedCost(SMALL, { prompt: 2000, completion: 300 }), 'cached tokens cost less than uncached ones')

  const response = await chat(app, headers, { message })

  t.match(response.json(), { cost, usage: { prompt_tokens: 2000, cached_tokens: 1500, completion_tokens: 300 } })
  t.match(await onlyChat(state), { hold, cost, promptTokens: 2000, cachedTokens: 1500, completionTokens: 300 })
  t.same(await chatLedger(state), heldAndSettled(hold, cost))
  t.match(await state.usageDaily(), [{ model: 'small', promptTokens: 2000, cachedTokens: 1500, credits: cost }])
  await assertBooksBalance(t, app, state)
})

t.test('a message that names a model is sent to its upstream and charged at its prices', async (t) => {
  const { app, state, headers, fake } = await setup(t)
  const hold = expectedHold(LARGE, promptBoundOf(MESSAGE))
  const cost = expectedCost(LARGE, { prompt: 21, completion: 7 })

  const response = await chat(app, headers, { message: MESSAGE, model: 'large' })

  t.equal(response.statusCode, 201)
  t.match(response.json(), { model: 'large', cost, remaining_tokens: 4000 - cost })
  t.match(fake.received[0]!.body, { model: 'fake-large', max_tokens: 4096 })
  t.match(await onlyChat(state), { model: 'large', hold, cost })
  t.same(await chatLedger(state), heldAndSettled(hold, cost))
  t.match(await state.usageDaily(), [{ model: 'large', requests: 1, credits: cost }])
  await assertBooksBalance(t, app, state)
})

t.test('the hold of a message in a conversation bounds its earlier turns too', async (t) => {
  const { app, state, headers, fake } = await setup(t)
  const first = (await chat(app, headers, { message: MESSAGE })).json()
  const followUp = 'And of Spain?'

  await chat(app, headers, { message: followUp, conversation_id: first.conversation_id })

  t.same(
    fake.received[1]!.body.messages.map((turn) => turn.content),
    [SYSTEM_PROMPT, MESSAGE, first.response, followUp]
  )
  const hold = expectedHold(SMALL, promptBoundOf(MESSAGE, first.response, followUp))
  t.match(await state.chats(), [{}, { hold }])
  await assertBooksBalance(t, app, state)
})

t.test('a model that is not offered is refused with 400 model_not_allowed, and nothing is charged', async (t) => {
  const { app, state, headers, fake } = await setup(t)

  const response = await chat(app, headers, { message: MESSAGE, model: 'gpt-5' })

  assertProblem(t, response, {
    status: 400,
    code: 'model_not_allowed',
    instance: '/api/chat_msg/',
    extensions: { errors: [{ pointer: '#/model', location: 'body', message: 'is not one of small, large' }] }
  })
  t.equal(fake.received.length, 0, 'the model was not called')
  t.equal(await state.countChats(), 0)
  t.same(await chatLedger(state), [])
  t.equal(await balanceOf(app, headers), 4000)
})

for (const streamed of [false, true]) {
  t.test(`a ${streamed ? 'streamed ' : ''}reply without usage is charged an o200k estimate`, async (t) => {
    const { app, state, access, headers, fake } = await setup(t)
    const text = 'The capital of France is Paris, on the Seine.'
    fake.next({ kind: 'answer', text, usage: null })
    const promptTokens = estimatedPromptOf(MESSAGE)
    const completionTokens = estimatedCompletionOf(text)
    const hold = expectedHold(SMALL, promptBoundOf(MESSAGE))
    const cost = expectedCost(SMALL, { prompt: promptTokens, completion: completionTokens })

    const reply = streamed
      ? (await collectEvents(await streamChat(app, access, MESSAGE))).at(-1)!.data
      : (await chat(app, headers, { message: MESSAGE })).json()

    t.match(reply, {
      response: text,
      cost,
      usage: { prompt_tokens: promptTokens, cached_tokens: 0, completion_tokens: completionTokens },
      usage_source: 'estimated'
    })
    t.match(await onlyChat(state), { status: 'completed', hold, cost, usageSource: 'estimated' })
    t.same(await chatLedger(state), heldAndSettled(hold, cost))
    await assertBooksBalance(t, app, state)
  })
}

const unpriceableUsages = {
  'no prompt_tokens': { completion_tokens: 7, total_tokens: 7 },
  'fractional prompt_tokens': { prompt_tokens: 20.5, completion_tokens: 7, total_tokens: 27.5 },
  'negative completion_tokens': { prompt_tokens: 21, completion_tokens: -7, total_tokens: 14 }
}

for (const [name, usage] of Object.entries(unpriceableUsages)) {
  t.test(`a reply whose usage has ${name} is charged an estimate, not refunded`, async (t) => {
    const { app, state, headers, fake } = await setup(t)
    fake.next({ kind: 'answer', text: 'Paris.', usage: usage as unknown as Usage })
    const cost = expectedCost(SMALL, {
      prompt: estimatedPromptOf(MESSAGE),
      completion: estimatedCompletionOf('Paris.')
    })

    const response = await chat(app, headers, { message: MESSAGE })

    t.equal(response.statusCode, 201)
    t.match(response.json(), { status: 'completed', cost, usage_source: 'estimated' })
    t.same(await chatLedger(state), heldAndSettled(expectedHold(SMALL, promptBoundOf(MESSAGE)), cost))
    await assertBooksBalance(t, app, state)
  })
}

t.test('cached tokens reported beyond the prompt count as the whole prompt cached', async (t) => {
  const { app, state, headers, fake } = await setup(t)
  const usage = {
    prompt_tokens: 10,
    completion_tokens: 2,
    total_tokens: 12,
    prompt_tokens_details: { cached_tokens: 20 }
  }
  fake.next({ kind: 'answer', text: 'Paris.', usage })
  const cost = expectedCost(SMALL, { prompt: 10, cached: 10, completion: 2 })

  const response = await chat(app, headers, { message: MESSAGE })

  t.match(response.json(), { cost, usage: { prompt_tokens: 10, cached_tokens: 10, completion_tokens: 2 } })
  t.match(await state.usageDaily(), [{ promptTokens: 10, cachedTokens: 10 }])
  await assertBooksBalance(t, app, state)
})

t.test('a reply that reports zero usage is charged as reported: the request price alone', async (t) => {
  const { app, state, headers, fake } = await setup(t)
  fake.next({ kind: 'answer', text: 'Paris.', usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } })
  const hold = expectedHold(SMALL, promptBoundOf(MESSAGE))

  const response = await chat(app, headers, { message: MESSAGE })

  t.match(response.json(), {
    cost: 1,
    usage: { prompt_tokens: 0, cached_tokens: 0, completion_tokens: 0 },
    usage_source: 'provider'
  })
  t.match(await onlyChat(state), { hold, cost: 1, usageSource: 'provider', promptTokens: 0, completionTokens: 0 })
  t.same(await chatLedger(state), heldAndSettled(hold, 1))
  await assertBooksBalance(t, app, state)
})

t.test('without MODELS_FILE a message costs CHAT_COST, with no settle row and usage_source none', async (t) => {
  const { app, state } = await build(t)
  const { headers } = await signUp(app)

  const response = await chat(app, headers, { message: MESSAGE })

  t.equal(response.statusCode, 201)
  t.match(response.json(), { cost: 100, model: 'offline', usage: null, usage_source: 'none', remaining_tokens: 3900 })
  t.match(await onlyChat(state), { model: 'offline', hold: 100, cost: 100, usageSource: 'none', promptTokens: null })
  t.same(await chatLedger(state), [{ reason: 'chat', delta: -100 }])
  await assertBooksBalance(t, app, state)
})
