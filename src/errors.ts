import createError from '@fastify/error'

const apiErrorCodes = new Set<string>()

/** Errors the API raises on purpose: each has a stable lowercase `code` that the problem+json body carries. */
function apiError(code: string, message: string, statusCode: number) {
  const ErrorClass = createError(code, message, statusCode)
  apiErrorCodes.add(new ErrorClass().code)
  return ErrorClass
}

/** Whether the API raised this error on purpose; only those may say what went wrong in a 5xx answer. */
export function isApiError(error: { code?: string }): boolean {
  return error.code !== undefined && apiErrorCodes.has(error.code)
}

export const UsernameTakenError = apiError('username_taken', 'A user with the username "%s" already exists', 409)
export const InvalidCredentialsError = apiError(
  'invalid_credentials',
  'No active account found with the given credentials',
  401
)
export const NotAuthenticatedError = apiError('not_authenticated', 'Authentication credentials were not provided', 401)
export const TokenNotValidError = apiError('token_not_valid', 'Token is invalid or expired', 401)
export const ChatNotFoundError = apiError('chat_not_found', 'No chat with id %s was found', 404)
export const UpstreamError = apiError('upstream_error', 'The AI provider failed to answer; nothing was charged', 502)
export const ShuttingDownError = apiError(
  'shutting_down',
  'The server is shutting down; send the request again and another instance will answer',
  503
)
const NotReadyError = apiError('not_ready', 'The service is not ready: %s', 503)
const InsufficientTokensBase = apiError(
  'insufficient_tokens',
  'Your balance of %s tokens does not cover the %s-token cost of a message',
  402
)

export type ProblemExtensions = Record<string, unknown>

export function insufficientTokens(balance: number, cost: number) {
  return Object.assign(new InsufficientTokensBase(balance, cost), { extensions: { balance, cost } })
}

export function upstreamFailure(cause: unknown) {
  return Object.assign(new UpstreamError(), { cause, extensions: { refunded: true } })
}

export function notReady(checks: Record<string, string>) {
  const failing = Object.entries(checks)
    .filter(([, state]) => state !== 'ok')
    .map(([name, state]) => `${name} ${state}`)
  return Object.assign(new NotReadyError(failing.join(', ')), { extensions: { checks } })
}
