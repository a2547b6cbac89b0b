import t from 'tap'
import { EVENT_STREAM, ask, collect, setup, sse } from './openai-provider-setup.js'

const FINISHED = sse({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })
const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } }

t.test('text deltas are yielded as they arrive, and leaving the stream aborts the call', async (t) => {
  const { fake, provider } = await setup(t)
  fake.next({ kind: 'stall-after', chunks: ['Once '] })

  for await (const event of provider.stream(ask())) {
    t.same(event, { type: 'delta', text: 'Once ' })
    break
  }

  await fake.received[0]!.aborted
})

t.test(
  'events split across packets, a character split in two, and comments are read as the server meant',
  async (t) => {
    const { fake, provider } = await setup(t)
    const delta = Buffer.from(sse({ model: 'served-model', choices: [{ index: 0, delta: { content: 'Café' } }] }))
    const split = delta.indexOf('é') + 1
    fake.next({
      kind: 'raw',
      status: 200,
      headers: EVENT_STREAM,
      pieces: [
        ': keep-alive\n\n',
        delta.subarray(0, 7),
        delta.subarray(7, split),
        delta.subarray(split),
        FINISHED
      ].concat(sse({ choices: [], usage }), 'data: [DONE]\n\n')
    })

    const events = await collect(provider.stream(ask()))

    t.same(events, [
      { type: 'delta', text: 'Café' },
      {
        type: 'end',
        model: 'served-model',
        usage: { promptTokens: 12, cachedTokens: 4, completionTokens: 3 },
        finishReason: 'length'
      }
    ])
  }
)

t.test('[DONE] ends the stream: nothing after it is read', async (t) => {
  const { fake, provider } = await setup(t)
  const after = sse({ choices: [{ index: 0, delta: { content: 'more' } }] })
  fake.next({ kind: 'raw', status: 200, headers: EVENT_STREAM, pieces: [FINISHED, 'data: [DONE]\n\n', after] })

  const events = await collect(provider.stream(ask()))

  t.same(events, [{ type: 'end', model: 'fake-model', usage: null, finishReason: 'length' }])
})

t.test('a stream that ends before a finish_reason is an error, after the text that came', async (t) => {
  const { fake, provider } = await setup(t)
  const delta = sse({ choices: [{ index: 0, delta: { content: 'Once ' }, finish_reason: null }] })
  fake.next({ kind: 'raw', status: 200, headers: EVENT_STREAM, pieces: [delta] })
  const events: unknown[] = []

  const streamed = (async () => {
    for await (const event of provider.stream(ask())) events.push(event)
  })()

  await t.rejects(streamed, { kind: 'error', message: 'the stream ended before the model finished its reply' })
  t.same(events, [{ type: 'delta', text: 'Once ' }])
})

t.test('an error the server sends mid-stream is an error with its message', async (t) => {
  const { fake, provider } = await setup(t)
  const failure = sse({ error: { message: 'the model is overloaded', type: 'server_error' } })
  fake.next({ kind: 'raw', status: 200, headers: EVENT_STREAM, pieces: [failure] })

  await t.rejects(collect(provider.stream(ask())), {
    kind: 'error',
    message: 'the AI provider failed: the model is overloaded'
  })
})

t.test('an event that is not JSON is an error', async (t) => {
  const { fake, provider } = await setup(t)
  fake.next({ kind: 'raw', status: 200, headers: EVENT_STREAM, pieces: ['data: {"choices": [\n\n'] })

  await t.rejects(collect(provider.stream(ask())), { kind: 'error', message: /^the AI provider sent malformed JSON/ })
})
