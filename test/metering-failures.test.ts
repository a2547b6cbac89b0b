import { request as httpRequest } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { collectEvents, openRawStream } from './event-stream-client.js'
import type { Behaviour } from './fake-openai.js'
import { assertProblem } from './helper.js'
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
  MESSAGE,
  onlyChat,
  promptBoundOf,
  setup,
  SMALL,
  streamChat
} from './metering-setup.js'
import type { StoredState } from './stored-state.js'

const failuresBeforeText: Array<{
  name: string
  behaviour: Behaviour
  status: number
  code: string
  retryAfter?: string
  env?: Record<string, string>
}> = [
  { name: 'a 500 from the model', behaviour: { kind: 'fail', status: 500 }, status: 502, code: 'upstream_error' },
  {
    name: 'a 429 from the model',
    behaviour: { kind: 'fail', status: 429, headers: { 'retry-after': '7' } },
    status: 503,
    code: 'upstream_busy',
    retryAfter: '7'
  },
  {
    name: 'a model that stalls past the time limit',
    behaviour: { kind: 'stall' },
    status: 504,
    code: 'upstream_timeout',
    env: { AI_TIMEOUT_MS: '300' }
  }
]

for (const failure of failuresBeforeText) {
  t.test(`${failure.name} before any text is refunded in full and records no usage`, async (t) => {
    const { app, state, headers, fake } = await setup(t, failure.env)
    fake.next(failure.behaviour)
    const hold = expectedHold(SMALL, promptBoundOf(MESSAGE))

    const response = await chat(app, headers, { message: MESSAGE })

    assertProblem(t, response, {
      status: failure.status,
      code: failure.code,
      instance: '/api/chat_msg/',
      extensions: { refunded: true }
    })
    t.equal(response.headers['retry-after'], failure.retryAfter)
    t.match(await onlyChat(state), { status: 'failed', hold, usageSource: null, promptTokens: null })
    t.same(await chatLedger(state), [
      { reason: 'chat', delta: -hold },
      { reason: 'refund', delta: hold }
    ])
    t.equal(await balanceOf(app, headers), 4000)
    t.same(await state.usageDaily(), [], 'a refunded chat is no usage')
    await assertBooksBalance(t, app, state)
  })

  t.test(`${failure.name} before any text of a stream is refunded in full`, async (t) => {
    const { app, state, access, headers, fake } = await setup(t, failure.env)
    fake.next(failure.behaviour)

    const events = await collectEvents(await streamChat(app, access, MESSAGE))

    t.match(events, [{ event: 'error', data: { status: failure.status, code: failure.code, refunded: true } }])
    t.match(await onlyChat(state), { status: 'failed', usageSource: null })
    t.equal(await balanceOf(app, headers), 4000)
    await assertBooksBalance(t, app, state)
  })
}

/** The charge of a reply that broke off after `delivered`: the request, the estimated prompt and delivered text. */
async function assertChargedForDelivered(t: Test, state: StoredState, delivered: string) {
  const promptTokens = estimatedPromptOf(MESSAGE)
  const completionTokens = estimatedCompletionOf(delivered)
  const hold = expectedHold(SMALL, promptBoundOf(MESSAGE))
  const cost = expectedCost(SMALL, { prompt: promptTokens, completion: completionTokens })
  t.match(await onlyChat(state), {
    status: 'incomplete',
    response: delivered,
    hold,
    cost,
    promptTokens,
    cachedTokens: 0,
    completionTokens,
    usageSource: 'estimated'
  })
  t.same(await chatLedger(state), heldAndSettled(hold, cost))
  return cost
}

const breaksAfterText: Array<{ name: string; behaviour: Behaviour; code: string }> = [
  { name: 'breaks', behaviour: { kind: 'reset-after', chunks: ['Once ', 'upon '] }, code: 'upstream_error' },
  {
    name: 'goes quiet past the time limit',
    behaviour: { kind: 'stall-after', chunks: ['Once ', 'upon '] },
    code: 'upstream_timeout'
  }
]

for (const broken of breaksAfterText) {
  t.test(
    `a stream that ${broken.name} after some text is charged the request, the prompt and the text delivered`,
    async (t) => {
      const { app, state, access, headers, fake } = await setup(t, { AI_TIMEOUT_MS: '300' })
      fake.next(broken.behaviour)

      const events = await collectEvents(await streamChat(app, access, MESSAGE))

      t.same(
        events.slice(0, 2).map((event) => event.data),
        [{ text: 'Once ' }, { text: 'upon ' }]
      )
      t.match(events.at(-1), { event: 'error', data: { code: broken.code, refunded: false } })
      const cost = await assertChargedForDelivered(t, state, 'Once upon ')
      t.equal(await balanceOf(app, headers), 4000 - cost)
      await assertBooksBalance(t, app, state)
    }
  )
}

t.test('a client that leaves a plain request aborts the model call and is refunded', async (t) => {
  const { app, state, access, headers, fake } = await setup(t)
  fake.next({ kind: 'stall' })
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })

  const request = httpRequest(`${baseUrl}/api/chat_msg/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' }
  })
  request.on('error', () => {})
  request.end(JSON.stringify({ message: MESSAGE }))
  while (fake.received.length === 0) await sleep(5)
  request.destroy()
  await fake.received[0]!.aborted
  while ((await state.countChats('pending')) > 0) await sleep(5)

  const hold = expectedHold(SMALL, promptBoundOf(MESSAGE))
  t.match(await onlyChat(state), { status: 'failed', failureReason: /client disconnected/, usageSource: null })
  t.same(await chatLedger(state), [
    { reason: 'chat', delta: -hold },
    { reason: 'refund', delta: hold }
  ])
  t.equal(await balanceOf(app, headers), 4000)
  await assertBooksBalance(t, app, state)
})

t.test('a client that leaves mid-stream aborts the model call and is charged for the text delivered', async (t) => {
  const { app, state, access, headers, fake } = await setup(t)
  fake.next({ kind: 'stall-after', chunks: ['Once '] })
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })

  const stream = await openRawStream(
    `${baseUrl}/api/chat_msg/`,
    { authorization: `Bearer ${access}`, accept: 'text/event-stream' },
    { message: MESSAGE }
  )
  t.match(await stream.textUntil('event: delta'), 'data: {"text":"Once "}')
  stream.disconnect()
  await fake.received[0]!.aborted
  while ((await state.countChats('pending')) > 0) await sleep(5)

  const cost = await assertChargedForDelivered(t, state, 'Once ')
  t.equal(await balanceOf(app, headers), 4000 - cost)
  await assertBooksBalance(t, app, state)
})

const PROMPT_BOUND = promptBoundOf(MESSAGE)
const reports = [
  { name: 'costs more than the hold', prompt: 100_000, completion: 1024, flagged: true },
  { name: 'reads more prompt tokens than the bound', prompt: PROMPT_BOUND + 1, completion: 7, flagged: true },
  { name: 'writes more tokens than max_tokens', prompt: 21, completion: SMALL.maxTokens + 1, flagged: true },
  { name: 'reaches the bounds exactly', prompt: PROMPT_BOUND, completion: SMALL.maxTokens, flagged: false }
]

for (const report of reports) {
  const flagged = report.flagged ? 'logged at warn and counted' : 'not flagged'
  t.test(`a provider's report that ${report.name} is charged at most the hold, ${flagged}`, async (t) => {
    const logLines: string[] = []
    const { app, state, headers, fake } = await setup(t, { LOG_LEVEL: 'warn' }, logLines)
    const { prompt, completion } = report
    fake.next({
      kind: 'answer',
      text: 'Paris.',
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
    })
    const hold = expectedHold(SMALL, PROMPT_BOUND)
    const cost = Math.min(expectedCost(SMALL, { prompt, completion }), hold)

    const response = await chat(app, headers, { message: MESSAGE })

    t.match(response.json(), {
      cost,
      usage: { prompt_tokens: prompt, completion_tokens: completion },
      usage_source: 'provider',
      remaining_tokens: 4000 - cost
    })
    t.match(await onlyChat(state), { hold, cost, promptTokens: prompt, usageSource: 'provider' })
    t.same(await chatLedger(state), heldAndSettled(hold, cost))
    const warnings = logLines.map((line) => JSON.parse(line)).filter((line) => line.level === 40)
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    if (report.flagged) {
      t.match(warnings, [
        {
          msg: 'the provider reported more tokens than the hold assumed; charged at most the hold',
          chatId: 1,
          model: 'small',
          usage: { source: 'provider', promptTokens: prompt, completionTokens: completion },
          promptBound: PROMPT_BOUND,
          maxTokens: SMALL.maxTokens,
          hold,
          cost
        }
      ])
      t.match(metrics, /^chat_usage_over_hold_total\{model="small"\} 1$/m)
    } else {
      t.same(warnings, [])
      t.notMatch(metrics, /^chat_usage_over_hold_total\{/m)
    }
    await assertBooksBalance(t, app, state)
  })
}
