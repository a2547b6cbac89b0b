import type { components, operations } from './schema.js'

export type Problem = components['schemas']['Problem']
export type ChatReply = operations['sendChatMessage']['responses'][201]['content']['application/json']

/** One event of a streamed chat message: a piece of the reply, then the whole answer or the problem that ended it. */
export type ChatEvent =
  { type: 'delta'; text: string } | { type: 'done'; reply: ChatReply } | { type: 'error'; problem: Problem }

/**
 * Reads the Server-Sent Events of `POST /api/chat_msg/` (sent with `Accept: text/event-stream`) as they arrive:
 * `delta` events, then one `done` or `error`, after which it stops. Comment lines and events of other names are
 * skipped, as a browser's EventSource does. A stream that ends before its `done` or `error` throws, since the reply
 * is then unknown (the server settles or refunds the message either way).
 */
export async function* readChatEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) throw new Error('the event stream ended before its done or error event')
      buffered += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
      let boundary
      while ((boundary = buffered.indexOf('\n\n')) !== -1) {
        const event = chatEvent(buffered.slice(0, boundary))
        buffered = buffered.slice(boundary + 2)
        if (!event) continue
        yield event
        if (event.type !== 'delta') return
      }
    }
  } finally {
    // Also reached when the caller stops early: cancelling closes the connection instead of leaving it to drain.
    await reader.cancel().catch(() => {})
  }
}

/** The event one block of lines describes, or undefined for a comment or an event this client does not know. */
function chatEvent(block: string): ChatEvent | undefined {
  let name = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':')
    if (colon === 0) continue
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') name = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return undefined
  const payload: unknown = JSON.parse(data.join('\n'))
  if (name === 'delta') return { type: 'delta', text: (payload as { text: string }).text }
  if (name === 'done') return { type: 'done', reply: payload as ChatReply }
  if (name === 'error') return { type: 'error', problem: payload as Problem }
  return undefined
}
