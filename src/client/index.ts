import createClient, { type Client, type ClientOptions } from 'openapi-fetch'
import type { components, operations, paths } from '../../openapi/schema.js'
import { bearerMiddleware, Session, type TokenPair } from './session.js'

export type { components, operations, paths, TokenPair }
export type Problem = components['schemas']['Problem']
export type Credentials = operations['login']['requestBody']['content']['application/json']

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
    /** Forgets the tokens on this side; they stay valid on the server until they expire. */
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
