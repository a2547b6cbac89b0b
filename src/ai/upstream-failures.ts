import { errors, type Dispatcher } from 'undici'
import { AiProviderError } from './errors.js'

/** Upstream detail kept in an error message: enough to tell what went wrong, never a whole HTML error page. */
const MAX_DETAIL_CHARS = 300

/** A body or event as an object; one that is an OpenAI-shaped error (some servers send it mid-stream) is thrown. */
export function parseAnswer(text: string): object {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new AiProviderError('error', `the AI provider sent malformed JSON: ${clip(text)}`, undefined, {
      cause: error
    })
  }
  if (typeof value !== 'object' || value === null) {
    throw new AiProviderError('error', `the AI provider sent JSON that is no object: ${clip(text)}`)
  }
  const failure = errorMessageOf(value)
  if (failure !== undefined) throw new AiProviderError('error', `the AI provider failed: ${clip(failure)}`)
  return value
}

/** The status and what the upstream said: its `error.message` when the body is OpenAI-shaped, else the body itself. */
export function statusError(
  status: number,
  headers: Dispatcher.ResponseData['headers'],
  text: string
): AiProviderError {
  if (status === 429) {
    const retryAfter = Number(headers['retry-after'])
    return new AiProviderError(
      'rate_limited',
      'the AI provider is rate limiting us',
      retryAfter > 0 ? retryAfter : undefined
    )
  }
  return new AiProviderError('error', `${status} ${clip(upstreamMessage(text) ?? (text || 'status code (no body)'))}`)
}

function upstreamMessage(text: string): string | undefined {
  try {
    return errorMessageOf(JSON.parse(text))
  } catch {
    return undefined
  }
}

/** The message of an error in OpenAI's shape, `{"error": {"message": "…"}}`, if the value is one. */
function errorMessageOf(value: unknown): string | undefined {
  const message: unknown = (value as { error?: { message?: unknown } } | null)?.error?.message
  return typeof message === 'string' ? message : undefined
}

function clip(text: string): string {
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text
}

export function toProviderError(error: unknown): AiProviderError {
  if (error instanceof AiProviderError) return error
  if (
    error instanceof errors.ConnectTimeoutError ||
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError
  ) {
    return new AiProviderError('timeout', 'the AI provider did not answer in time', undefined, { cause: error })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new AiProviderError('error', message, undefined, { cause: error })
}
