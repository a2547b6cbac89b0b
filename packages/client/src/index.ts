import createClient, { type Client, type ClientOptions } from 'openapi-fetch'
import type { components, operations, paths } from './schema.js'
import { bearerMiddleware, Session, type TokenPair } from './session.js'
import { readChatEvents, type ChatEvent, type ChatReply, type Problem } from './stream.js'

export type { ChatEvent, ChatReply, components, operations, paths, Problem, TokenPair }
export { readChatEvents }
export type Credentials = operations['login']['requestBody']['content']['application/json']
export type ChatRequest = operations['sendChatMessage']['requestBody']['content']['application/json']

export interface ChatOptions {
  /** Makes retries safe: the same key and body replay the first answer and charge nothing more. */
  idempotencyKey?: string
  signal?: AbortSignal
}

export interface ApiClientOptions {
  /** Where the API is, such as `http://127.0.0.1:3000`. */
  baseUrl: string
  /** Tokens of an earlier login, to carry on with it. */
  tokens?: TokenPair
  /** Called with every new token pair (to save it), and with undefined when the login ended. */
  onTokens?: (tokens: TokenPair | undefined) => void
  /** Replaces the global fetch. */
  fetch?: ClientOptions['fetch']
}

/**
 * A typed client for the whole API, generated from openapi/openapi.json. It sends the access token, and when that
 * has expired it spends the refresh token once and repeats the request, so callers never see an expired token.
 */
export function createApiClient(options: ApiClientOptions) {
  const clientOptions = { baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) }
  const session = new Session(createClient<paths>(clientOptions), options.tokens, options.onTokens ?? (() => {}))
  const api = createClient<paths>(clientOptions)
  api.use(bearerMiddleware(session))

  const controls = {
    /** Logs in (`POST /api/login/`) and keeps the tokens; answers like any other call. */
    async logIn(credentials: Credentials) {
      const result = await api.POST('/api/login/', { body: credentials })
      if (result.data) session.tokens = result.data
      return result
    },
    /** Logs out (`POST /api/logout/`): the server ends this login, and the tokens are forgotten here too. */
    async logOut() {
      const refresh = session.tokens?.refresh
      if (!refresh) throw new Error('not logged in')
      const result = await api.POST('/api/logout/', { body: { refresh } })
      session.tokens = undefined
      return result
    },
    /**
     * Sends a chat message (`POST /api/chat_msg/`) and answers with its JSON reply: the plain `POST` cannot tell
     * from the types that, without `Accept: text/event-stream`, the 200 event stream never comes.
     */
    async sendMessage(body: ChatRequest, options: ChatOptions = {}) {
      const answer = await api.POST('/api/chat_msg/', { body, ...chatRequest(options) })
      return answer as Answer<ChatReply, NonNullable<typeof answer.error>>
    },
    /**
     * Sends a chat message asking for the reply as it is written: its `delta` events, then `done` with the reply or
     * `error` with the problem. A refusal before the stream starts (402, 429, …) comes as one `error` event too.
     */
    async *streamMessage(body: ChatRequest, options: ChatOptions = {}): AsyncGenerator<ChatEvent> {
      const request = chatRequest(options)
      const answer = await api.POST('/api/chat_msg/', {
        body,
        ...request,
        headers: { ...request.headers, accept: 'text/event-stream' },
        parseAs: 'stream'
      })
      if (answer.error) yield { type: 'error', problem: answer.error }
      else if (answer.data) yield* readChatEvents(answer.data)
      else throw new Error(`the chat message was answered ${answer.response.status} without an event stream`)
    },
    /** Forgets the tokens on this side only; they stay valid on the server until they expire or are revoked. */
    forgetTokens() {
      session.tokens = undefined
    }
  }
  return Object.defineProperty(Object.assign(api, controls), 'tokens', {
    get: () => session.tokens,
    enumerable: true
  }) as Client<paths> & typeof controls & { readonly tokens: TokenPair | undefined }
}

export type ApiClient = ReturnType<typeof createApiClient>

/** openapi-fetch's shape of an answer: the data of a success, or the error body of a failure. */
export type Answer<Data, Failure> =
  { data: Data; error?: never; response: Response } | { data?: never; error: Failure; response: Response }

function chatRequest({ idempotencyKey, signal }: ChatOptions) {
  return {
    headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
    ...(signal ? { signal } : {})
  }
}
