import { STATUS_CODES } from 'node:http'

export function problemType(code: string): string {
  return `urn:ai-chat-api:problem:${code}`
}

export interface ExampleProblem {
  code: string
  detail: string
  extensions?: Record<string, unknown>
}

/** A typical problem for each status this API answers, shown in the docs and used by generated clients and Postman. */
const EXAMPLES: Record<number, ExampleProblem> = {
  400: {
    code: 'validation_failed',
    detail: 'The request body is invalid: #/username must NOT have fewer than 2 characters',
    extensions: {
      errors: [{ pointer: '#/username', location: 'body', message: 'must NOT have fewer than 2 characters' }]
    }
  },
  401: { code: 'token_not_valid', detail: 'Token has expired' },
  402: {
    code: 'insufficient_tokens',
    detail: 'Your balance of 40 tokens does not cover the 100-token cost of a message',
    extensions: { balance: 40, cost: 100 }
  },
  404: { code: 'not_found', detail: 'No chat with id 42 was found' },
  409: { code: 'username_taken', detail: 'A user with the username "alice" already exists' },
  413: { code: 'payload_too_large', detail: 'Request body is too large' },
  415: { code: 'unsupported_media_type', detail: 'Unsupported Media Type: text/plain' },
  422: { code: 'idempotency_key_reused', detail: 'This Idempotency-Key was used with a different request body' },
  429: { code: 'rate_limited', detail: 'Too many requests; retry after 60 seconds' },
  502: { code: 'upstream_error', detail: 'The AI provider failed to answer', extensions: { refunded: true } },
  503: {
    code: 'storage_unavailable',
    detail: 'The database could not complete the request (the disk is full, failing or locked); try again shortly'
  },
  504: { code: 'upstream_timeout', detail: 'The AI provider did not answer in time', extensions: { refunded: true } }
}

/** What every route answers once the server has begun to shut down; the probes and /metrics only ever answer this 503. */
export const SHUTTING_DOWN_EXAMPLE: ExampleProblem = {
  code: 'shutting_down',
  detail: 'The server is shutting down; send the request again and another instance will answer'
}

/** What the readiness probe answers while the database is unreachable or lacks a migration. */
export const NOT_READY_EXAMPLE: ExampleProblem = {
  code: 'not_ready',
  detail: 'The service is not ready: migrations pending',
  extensions: { checks: { database: 'ok', migrations: 'pending', limits: 'ok' } }
}

export function problemExample(status: number, example = EXAMPLES[status]) {
  const title = STATUS_CODES[status] ?? 'Error'
  const { code, detail, extensions } = example ?? { code: title.toLowerCase().replace(/[^a-z]+/g, '_'), detail: title }
  return { type: problemType(code), title, status, detail, code, ...extensions }
}
