import t from 'tap'
import { FAKE_MODEL } from '../fake-openai.js'
import {
  assertBooksBalance,
  balanceOf,
  chatLedger,
  expectedCost,
  expectedHold,
  heldAndSettled,
  onlyChat,
  promptBoundOf,
  SMALL
} from '../metering-setup.js'
import { gatewaySetup } from './setup.js'

const QUESTION = 'What is the capital of France?'

t.test('the openai SDK gets a chat.completion, charged exactly as priced, with its usage', async (t) => {
  const { app, access, headers, client, fake, state } = await gatewaySetup(t)
  fake.next({ kind: 'answer', text: 'Paris.', usage: { prompt_tokens: 14, completion_tokens: 3, total_tokens: 17 } })
  const before = await balanceOf(app, headers)

  const completion = await client(access).chat.completions.create({
    model: 'small',
    messages: [{ role: 'user', content: QUESTION }]
  })

  const cost = expectedCost(SMALL, { prompt: 14, completion: 3 })
  const hold = expectedHold(SMALL, promptBoundOf(QUESTION))
  t.match(completion, {
    id: /^chatcmpl-\d+$/,
    object: 'chat.completion',
    model: 'small',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.' }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: 14,
      completion_tokens: 3,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 0 },
      cost,
      remaining_tokens: before - cost
    }
  })
  t.equal(await balanceOf(app, headers), before - cost)
  t.same(await chatLedger(state), heldAndSettled(hold, cost))
  const chat = await onlyChat(state)
  t.match(chat, {
    origin: 'api',
    conversationId: null,
    apiKeyId: null,
    cost,
    model: 'small',
    upstreamModel: FAKE_MODEL
  })
  t.same(fake.received[0]!.body.messages, [{ role: 'user', content: QUESTION }], 'no system prompt of ours is added')
  t.equal(fake.received[0]!.body.model, 'fake-small')
  await assertBooksBalance(t, app, state)
})

t.test('a streamed completion sends chunks and, when asked, the usage on a last chunk', async (t) => {
  const { app, access, headers, client, fake } = await gatewaySetup(t)
  fake.next({
    kind: 'stream',
    chunks: ['Par', 'is.'],
    usage: { prompt_tokens: 14, completion_tokens: 3, total_tokens: 17 }
  })
  const before = await balanceOf(app, headers)

  const stream = await client(access).chat.completions.create({
    model: 'small',
    messages: [{ role: 'user', content: QUESTION }],
    stream: true,
    stream_options: { include_usage: true }
  })
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)

  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')
  t.equal(text, 'Paris.')
  t.equal(chunks[0]!.choices[0]!.delta.role, 'assistant')
  t.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'stop')
  const last = chunks.at(-1)!
  const cost = expectedCost(SMALL, { prompt: 14, completion: 3 })
  t.same(last.choices, [], 'the usage chunk has no choices')
  t.match(last.usage, { prompt_tokens: 14, completion_tokens: 3, total_tokens: 17, cost })
  t.ok(chunks.every((chunk) => chunk.id === last.id && chunk.object === 'chat.completion.chunk'))
  t.equal(await balanceOf(app, headers), before - cost)
})

t.test('the same Idempotency-Key replays the first completion, plain or streamed, and charges once', async (t) => {
  const { app, access, headers, client, fake } = await gatewaySetup(t)
  const before = await balanceOf(app, headers)
  const options = { headers: { 'Idempotency-Key': 'retry-1' } }
  const body = { model: 'small', messages: [{ role: 'user' as const, content: QUESTION }] }

  const first = await client(access).chat.completions.create(body, options)
  const again = await client(access).chat.completions.create(body, options).withResponse()
  const stream = await client(access).chat.completions.create(
    { ...body, stream: true, stream_options: { include_usage: true } },
    options
  )
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)

  t.same(again.data, first, 'the replay is the first answer')
  t.equal(again.response.headers.get('idempotent-replayed'), 'true')
  t.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), first.choices[0]!.message.content)
  t.equal(chunks[0]!.id, first.id)
  t.same(chunks.at(-1)!.usage, first.usage)
  t.equal(fake.received.length, 1, 'the model was called once')
  t.equal(await balanceOf(app, headers), before - (first.usage as unknown as { cost: number }).cost)

  const otherBody = await client(access)
    .chat.completions.create({ ...body, messages: [{ role: 'user', content: 'Another question' }] }, options)
    .catch((error: { status: number }) => error)
  t.match(otherBody, { status: 422 }, 'another body with the key is refused')
})

t.test('GET /v1/models lists the models in OpenAI’s shape', async (t) => {
  const { access, client } = await gatewaySetup(t)

  const models = []
  for await (const model of client(access).models.list()) models.push(model)

  t.match(models, [
    { id: 'small', object: 'model', owned_by: 'ai-chat-api', created: Number },
    { id: 'large', object: 'model', owned_by: 'ai-chat-api', created: Number }
  ])
})

t.test('developer messages and text parts reach the model as plain turns', async (t) => {
  const { access, client, fake } = await gatewaySetup(t)

  await client(access).chat.completions.create({
    model: 'small',
    messages: [
      { role: 'developer', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is the capital ' },
          { type: 'text', text: 'of France?' }
        ]
      }
    ],
    temperature: 0.2,
    stop: ['\n']
  })

  t.same(fake.received[0]!.body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: QUESTION }
  ])
  t.match(fake.received[0]!.body, { temperature: 0.2, stop: ['\n'], max_tokens: SMALL.maxTokens })
})
