import { Agent, request } from 'node:http'

/** One request of the overhead benchmark; a streamed one is timed to its first event with text. */
export interface Call {
  url: string
  headers: Record<string, string>
  body: string
  /** For a stream: whether a Server-Sent Event (its lines, without the blank line that ends it) carries text. */
  carriesText?: (event: string) => boolean
}

export interface Timed {
  ms: number
  serverTiming: string | undefined
}

/**
 * Sends calls one at a time over one keep-alive connection and times each: a plain call until its body has arrived,
 * a stream until the first event with text (the stream is then read to its end before the call returns). Both sides of
 * the benchmark, the upstream and the service, are timed by this same code.
 */
export class SequentialClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 })

  time(call: Call): Promise<Timed> {
    return new Promise((resolve, reject) => {
      const sentAt = performance.now()
      let elapsed: number | undefined
      const outgoing = request(call.url, { method: 'POST', headers: call.headers, agent: this.agent }, (response) => {
        const status = response.statusCode!
        let unread = ''
        response.setEncoding('utf8')
        response.on('data', (text: string) => {
          if (status !== 200 && status !== 201) {
            unread += text
            return
          }
          if (!call.carriesText || elapsed !== undefined) return
          unread += text
          const events = unread.split('\n\n')
          unread = events.pop()!
          if (events.some(call.carriesText)) elapsed = performance.now() - sentAt
        })
        response.once('error', reject)
        response.once('end', () => {
          if (status !== 200 && status !== 201) return reject(new Error(`POST ${call.url}: ${status} ${unread}`))
          elapsed ??= call.carriesText ? undefined : performance.now() - sentAt
          if (elapsed === undefined) return reject(new Error(`POST ${call.url}: the stream carried no text`))
          const serverTiming = response.headers['server-timing']
          resolve({ ms: elapsed, serverTiming: Array.isArray(serverTiming) ? serverTiming.join(', ') : serverTiming })
        })
      })
      outgoing.once('error', reject)
      outgoing.end(call.body)
    })
  }

  close() {
    this.agent.destroy()
  }
}

/** The data of an event's `data:` line, or undefined. */
function dataOf(event: string): string | undefined {
  return event
    .split('\n')
    .find((line) => line.startsWith('data: '))
    ?.slice('data: '.length)
}

/** A `chat.completion.chunk` with text, as the upstream and `/v1` stream them. */
export function isContentChunk(event: string): boolean {
  const data = dataOf(event)
  if (data === undefined || data === '[DONE]') return false
  const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> }
  return Boolean(chunk.choices?.[0]?.delta?.content)
}

/** A `delta` event of `POST /api/chat_msg/`'s stream with text. */
export function isChatDelta(event: string): boolean {
  if (!event.split('\n').includes('event: delta')) return false
  return Boolean((JSON.parse(dataOf(event) ?? '{}') as { text?: string }).text)
}
