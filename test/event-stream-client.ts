import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'

export interface ServerSentEvent {
  event: string
  data: unknown
}

/** Reads Server-Sent Events from a fetch response as they arrive, skipping comments as a browser's EventSource does. */
export async function* readEvents(response: Response): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const bytes of response.body!) {
    buffered += decoder.decode(bytes as Uint8Array, { stream: true })
    let boundary
    while ((boundary = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, boundary)
      buffered = buffered.slice(boundary + 2)
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (data === undefined) continue
      yield { event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message', data: JSON.parse(data) }
    }
  }
}

export async function collectEvents(response: Response): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = []
  for await (const event of readEvents(response)) events.push(event)
  return events
}

/**
 * Posts over a raw HTTP connection that the test can cut at any moment, as a browser tab being closed would:
 * `textUntil` waits for the stream to contain some text, `disconnect` destroys the socket.
 */
export async function openRawStream(url: string, headers: Record<string, string>, body: unknown) {
  const request = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } })
  request.end(JSON.stringify(body))
  const [response] = (await once(request, 'response')) as [IncomingMessage]
  let received = ''
  response.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')))
  response.on('error', () => {})
  return {
    status: response.statusCode,
    async textUntil(expected: string) {
      while (!received.includes(expected)) await once(response, 'data')
      return received
    },
    disconnect: () => request.destroy()
  }
}

/** The events of a whole Server-Sent Events body, such as `app.inject` returns. */
export function eventsOf(body: string) {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n')
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) }
    })
}
