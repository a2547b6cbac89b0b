import createError from '@fastify/error'

/** Errors the API raises on purpose: each has a stable lowercase `code` that the problem+json body carries. */
export const UsernameTakenError = createError('username_taken', 'A user with the username "%s" already exists', 409)
export const InvalidCredentialsError = createError(
  'invalid_credentials',
  'No active account found with the given credentials',
  401
)
export const NotAuthenticatedError = createError(
  'not_authenticated',
  'Authentication credentials were not provided',
  401
)
export const TokenNotValidError = createError('token_not_valid', 'Token is invalid or expired', 401)
export const ChatNotFoundError = createError('chat_not_found', 'No chat with id %s was found', 404)
export const UpstreamError = createError('upstream_error', 'The AI provider failed to answer; nothing was charged', 502)
const InsufficientTokensBase = createError(
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
