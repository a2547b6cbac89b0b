import { StringDecoder } from 'node:string_decoder'
import { createParser } from 'eventsource-parser'
import { Pool, type Dispatcher } from 'undici'
import { parseAnswer, statusError, toProviderError } from './upstream-failures.js'

export interface EndpointOptions {
  baseUrl: string
  apiKey: string | undefined
  timeoutMs: number
}

/**
 * `POST /chat/completions` of an OpenAI-compatible server over a keep-alive connection pool (undici's `request`, not
 * fetch: no web streams, no extra AbortSignals per call). `timeoutMs` bounds connecting, the wait for the answer's
 * headers and any silence within its body, each on its own, as AI_TIMEOUT_MS bounds the model's silence; the chat's
 * deadline bounds the whole call. Every failure is thrown as an `AiProviderError`
 * (`upstream-failures.ts`).
 */
export class ChatCompletionsEndpoint {
  private readonly pool: Pool
  private readonly path: string
  private readonly headers: Record<string, string>

  constructor({ baseUrl, apiKey, timeoutMs }: EndpointOptions) {
    const url = new URL(baseUrl)
    this.path = `${url.pathname.replace(/\/+$/, '')}/chat/completions${url.search}`
    this.pool = new Pool(url.origin, {
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs
    })
    // A keyless local server gets no Authorization header at all.
    this.headers = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) }
  }

  /** The whole answer, parsed. */
  async post(body: object, signal: AbortSignal): Promise<object> {
    try {
      const response = await this.send(body, signal)
      return parseAnswer(await response.body.text())
    } catch (error) {
      throw toProviderError(error)
    }
  }

  /** The data of each server-sent event of a streamed answer, parsed, as it arrives, until `[DONE]` or the end. */
  async *events(body: object, signal: AbortSignal): AsyncIterable<object> {
    const data: string[] = []
    const parser = createParser({ onEvent: (event) => data.push(event.data) })
    try {
      const response = await this.send(body, signal)
      // undici's body ignores setEncoding; the decoder keeps a character split between two chunks whole.
      const decoder = new StringDecoder('utf8')
      for await (const chunk of response.body) {
        parser.feed(decoder.write(chunk as Buffer))
        for (const event of data) {
          if (event.startsWith('[DONE]')) return
          yield parseAnswer(event)
        }
        data.length = 0
      }
    } catch (error) {
      throw toProviderError(error)
    }
  }

  /** Waits for the calls on their way, then closes the pool's connections; closing again does nothing. */
  async close(): Promise<void> {
    if (!this.pool.closed) await this.pool.close()
  }

  private async send(body: object, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const response = await this.pool.request({
      method: 'POST',
      path: this.path,
      headers: this.headers,
      body: JSON.stringify(body),
      signal
    })
    if (response.statusCode >= 200 && response.statusCode < 300) return response
    throw statusError(response.statusCode, response.headers, await response.body.text())
  }
}
