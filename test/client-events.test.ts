import { readChatEvents, type ChatEvent } from 'ai-chat-api-client'
import t from 'tap'

/** A response body that arrives in these pieces, recording whether the reader cancelled it. */
function bodyOf(pieces: string[]) {
  const encoder = new TextEncoder()
  const seen = { cancelled: false }
  let next = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[next++]
      if (piece === undefined) controller.close()
      else controller.enqueue(encoder.encode(piece))
    },
    cancel() {
      seen.cancelled = true
    }
  })
  return { body, seen }
}

async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const collected: ChatEvent[] = []
  for await (const event of events) collected.push(event)
  return collected
}

const REPLY = { id: 1, response: 'Hi there' }

t.test('events split anywhere across chunks, with CRLF lines, comments and unknown events, read as sent', async (t) => {
  const stream = [
    ': stream open\r\n\r\n',
    'event: delta\r\ndata: {"text":"Hi"}\r\n\r\n',
    'event: ping\ndata: {}\n\n',
    'event: del',
    'ta\ndata: {"text":" the',
    're"}\n',
    '\nevent: done\ndata: ',
    JSON.stringify(REPLY),
    '\n\n'
  ]

  const events = await collect(readChatEvents(bodyOf(stream).body))

  t.same(events, [
    { type: 'delta', text: 'Hi' },
    { type: 'delta', text: ' there' },
    { type: 'done', reply: REPLY }
  ])
})

t.test('an event whose data spans several lines is one JSON value', async (t) => {
  const { body } = bodyOf(['event: error\ndata: {"code":"upstream_error",\ndata: "status":502}\n\n'])

  t.same(await collect(readChatEvents(body)), [{ type: 'error', problem: { code: 'upstream_error', status: 502 } }])
})

t.test('reading stops at the error event, skipping and cancelling the rest of the stream', async (t) => {
  const { body, seen } = bodyOf([
    'event: error\ndata: {"code":"upstream_error"}\n\n',
    'event: delta\ndata: {"text":"x"}\n\n'
  ])

  t.same(await collect(readChatEvents(body)), [{ type: 'error', problem: { code: 'upstream_error' } }])
  t.equal(seen.cancelled, true)
})

t.test('a caller that stops early cancels the stream', async (t) => {
  const { body, seen } = bodyOf(['event: delta\ndata: {"text":"a"}\n\n', 'event: delta\ndata: {"text":"b"}\n\n'])

  for await (const event of readChatEvents(body)) {
    t.same(event, { type: 'delta', text: 'a' })
    break
  }

  t.equal(seen.cancelled, true)
})

t.test('a stream that ends before its done or error event throws after the deltas it had', async (t) => {
  const { body } = bodyOf(['event: delta\ndata: {"text":"cut"}\n\n', 'event: done\ndata: {"id"'])
  const events: ChatEvent[] = []

  await t.rejects(async () => {
    for await (const event of readChatEvents(body)) events.push(event)
  }, /ended before its done or error event/)
  t.same(events, [{ type: 'delta', text: 'cut' }])
})
