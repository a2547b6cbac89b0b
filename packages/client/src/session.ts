import type { Client, Middleware } from 'openapi-fetch'
import type { paths } from './schema.js'

export interface TokenPair {
  access: string
  refresh: string
}

/** The one operation that spends a refresh token; the session calls it itself and never sends a bearer token to it. */
export const REFRESH_PATH = '/api/token/refresh/' satisfies keyof paths

/**
 * The tokens of one login. Refresh tokens rotate and a spent one presented again ends the login, so however many
 * requests find their access token expired at once, the refresh token is spent once and they all retry with the result.
 */
export class Session {
  private current: TokenPair | undefined
  private renewal: Promise<boolean> | undefined

  constructor(
    private readonly publicApi: Client<paths>,
    tokens: TokenPair | undefined,
    private readonly onTokens: (tokens: TokenPair | undefined) => void
  ) {
    this.current = tokens
  }

  get tokens(): TokenPair | undefined {
    return this.current
  }

  set tokens(tokens: TokenPair | undefined) {
    this.current = tokens && { access: tokens.access, refresh: tokens.refresh }
    this.onTokens(this.current)
  }

  /** Makes sure the access token is newer than `stale`; false when the login is over (the tokens are then dropped). */
  renew(stale: string): Promise<boolean> {
    if (this.current?.access !== stale) return Promise.resolve(this.current !== undefined)
    this.renewal ??= this.spendRefreshToken().finally(() => (this.renewal = undefined))
    return this.renewal
  }

  private async spendRefreshToken(): Promise<boolean> {
    const refresh = this.current?.refresh
    if (!refresh) return false
    const { data } = await this.publicApi.POST(REFRESH_PATH, { body: { refresh } })
    this.tokens = data
    return data !== undefined
  }
}

/** Sends the access token with every request, and on `401 token_not_valid` renews it once and sends the request again. */
export function bearerMiddleware(session: Session): Middleware {
  const sent = new Map<string, { copy: Request; access: string }>()
  return {
    onRequest({ request, schemaPath, id }) {
      const access = session.tokens?.access
      if (!access || schemaPath === REFRESH_PATH || request.headers.has('authorization')) return undefined
      request.headers.set('authorization', `Bearer ${access}`)
      sent.set(id, { copy: request.clone(), access })
      return request
    },
    async onResponse({ response, options, id }) {
      const attempt = sent.get(id)
      sent.delete(id)
      if (!attempt || !(await isExpiredToken(response)) || !(await session.renew(attempt.access))) return undefined
      attempt.copy.headers.set('authorization', `Bearer ${session.tokens!.access}`)
      return options.fetch(attempt.copy)
    },
    onError({ id }) {
      sent.delete(id)
    }
  }
}

async function isExpiredToken(response: Response): Promise<boolean> {
  if (response.status !== 401) return false
  const problem = (await response.clone().json()) as { code?: unknown }
  return problem.code === 'token_not_valid'
}
