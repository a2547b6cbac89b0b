import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'

/** The usage object of an OpenAI reply; `prompt_tokens` includes `prompt_tokens_details.cached_tokens`. */
export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details?: { cached_tokens: number }
}

/**
 * What the fake model does with the next request; unscripted requests are answered with `DEFAULT_ANSWER` (after the
 * server's `answerDelayMs`, none unless it was listened with one). A reply
 * reports `usage` (`USAGE` unless given; `null`: no usage at all); a stream sends it in a last chunk, and only when
 * the request asked for it with `stream_options.include_usage`, as OpenAI does.
 */
export type Behaviour =
  | { kind: 'answer'; text: string; delayMs?: number; usage?: Usage | null }
  | { kind: 'stream'; chunks: string[]; delayMs?: number; usage?: Usage | null }
  | { kind: 'stall' }
  /** Answers with `text` once the test calls `releaseHeld()`. */
  | { kind: 'hold'; text: string; usage?: Usage | null }
  | { kind: 'stall-after'; chunks: string[] }
  | { kind: 'reset-after'; chunks: string[] }
  | { kind: 'fail'; status: number; headers?: Record<string, string> }
  /** Sends `pieces` as they are, each a write of its own after a moment's pause, then ends the answer. */
  | { kind: 'raw'; status: number; headers?: Record<string, string>; pieces: (string | Buffer)[] }

export interface ReceivedRequest {
  url: string
  headers: IncomingHttpHeaders
  body: {
    model: string
    messages: { role: string; content: string }[]
    stream?: boolean
    stream_options?: { include_usage?: boolean }
    max_tokens?: number
  }
  /** Resolves when the client closed the connection before the answer was complete. */
  aborted: Promise<void>
}

export const DEFAULT_ANSWER = 'The capital of France is Paris.'
export const USAGE: Usage = { prompt_tokens: 21, completion_tokens: 7, total_tokens: 28 }
const MODEL = 'fake-model-2026'

/** An OpenAI-compatible Chat Completions server on loopback, scriptable request by request. */
export class FakeOpenAi {
  readonly received: ReceivedRequest[] = []
  private readonly script: Behaviour[] = []
  private readonly server = createServer((request, response) => void this.handle(request, response))
  private releaseHolds: () => void = () => {}
  private readonly held = new Promise<void>((resolve) => (this.releaseHolds = resolve))
  baseUrl = ''

  private constructor(private readonly answerDelayMs: number) {}

  static async start(t: Test): Promise<FakeOpenAi> {
    const fake = await FakeOpenAi.listen(0)
    t.teardown(() => fake.close())
    return fake
  }

  /**
   * Listens on `port` of loopback (0: any free one), outside a test: the overhead benchmarks' upstream, which answers
   * unscripted requests after `answerDelayMs`, as a model takes its time.
   */
  static async listen(port: number, answerDelayMs = 0): Promise<FakeOpenAi> {
    const fake = new FakeOpenAi(answerDelayMs)
    fake.server.listen(port, '127.0.0.1')
    await once(fake.server, 'listening')
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/v1`
    return fake
  }

  close() {
    this.server.closeAllConnections()
    this.server.close()
  }

  /** How many connections the server has open. */
  openConnections(): Promise<number> {
    return new Promise((resolve, reject) =>
      this.server.getConnections((error, count) => (error ? reject(error) : resolve(count)))
    )
  }

  /** Answers every request held by a `hold` behaviour, and those still to come, at once. */
  releaseHeld() {
    this.releaseHolds()
  }

  /** Queues behaviours for the coming requests, in order. */
  next(...behaviours: Behaviour[]) {
    this.script.push(...behaviours)
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = parseBody(Buffer.concat(chunks))
    if (body === undefined) {
      response.writeHead(400, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ error: { message: 'the body is not JSON', type: 'invalid_request_error' } }))
      return
    }
    const aborted = new Promise<void>((resolve) =>
      response.on('close', () => {
        if (!response.writableFinished) resolve()
      })
    )
    this.received.push({ url: request.url ?? '', headers: request.headers, body, aborted })
    const behaviour = this.script.shift() ?? { kind: 'answer', text: DEFAULT_ANSWER, delayMs: this.answerDelayMs }

    if (behaviour.kind === 'fail') {
      response.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers })
      response.end(JSON.stringify({ error: { message: `scripted ${behaviour.status}`, type: 'server_error' } }))
      return
    }
    if (behaviour.kind === 'stall') return
    if (behaviour.kind === 'raw') {
      response.writeHead(behaviour.status, behaviour.headers)
      for (const piece of behaviour.pieces) {
        response.write(piece)
        await sleep(5)
      }
      response.end()
      return
    }
    if (behaviour.kind === 'answer' || behaviour.kind === 'hold') {
      if (behaviour.kind === 'hold') await this.held
      else if (behaviour.delayMs) await sleep(behaviour.delayMs)
      if (body.stream) return this.streamChunks(response, body, [behaviour.text], reported(behaviour))
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify(completion(behaviour.text, reported(behaviour))))
      return
    }
    const { kind, chunks: pieces } = behaviour
    if (kind === 'stream') return this.streamChunks(response, body, pieces, reported(behaviour), behaviour.delayMs)
    this.startStream(response)
    for (const piece of pieces) this.writeChunk(response, chunk({ content: piece }))
    // A moment's pause lets the chunks reach the client before the connection is torn down.
    if (kind === 'reset-after') setTimeout(() => response.socket?.destroy(), 50)
  }

  private async streamChunks(
    response: ServerResponse,
    body: ReceivedRequest['body'],
    pieces: string[],
    usage: Usage | null,
    delayMs = 0
  ) {
    this.startStream(response)
    for (const piece of pieces) {
      if (delayMs) await sleep(delayMs)
      if (response.destroyed) return
      this.writeChunk(response, chunk({ content: piece }))
    }
    this.writeChunk(response, { ...chunk({}), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })
    if (usage && body.stream_options?.include_usage) this.writeChunk(response, { ...chunk({}), choices: [], usage })
    response.end('data: [DONE]\n\n')
  }

  private startStream(response: ServerResponse) {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  }

  private writeChunk(response: ServerResponse, data: object) {
    response.write(`data: ${JSON.stringify(data)}\n\n`)
  }
}

function parseBody(raw: Buffer): ReceivedRequest['body'] | undefined {
  try {
    return JSON.parse(raw.toString('utf8')) as ReceivedRequest['body']
  } catch {
    return undefined
  }
}

function reported(behaviour: { usage?: Usage | null }): Usage | null {
  return behaviour.usage === undefined ? USAGE : behaviour.usage
}

function completion(text: string, usage: Usage | null) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1795472049,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    ...(usage ? { usage } : {})
  }
}

function chunk(delta: { content?: string }) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1795472049,
    model: MODEL,
    choices: [{ index: 0, delta, finish_reason: null }]
  }
}

export { MODEL as FAKE_MODEL }
