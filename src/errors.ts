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
export const ConversationNotFoundError = createError(
  'conversation_not_found',
  'No conversation with id %s was found',
  404
)
export const ConversationBusyError = createError(
  'conversation_busy',
  'Conversation %s has a reply on its way; delete it once the reply has arrived',
  409
)
export const TooManyChatsInFlightError = createError(
  'too_many_chats_in_flight',
  'You already have %s replies on their way; wait for one to finish. Nothing was charged',
  429
)
const InsufficientTokensBase = createError(
  'insufficient_tokens',
  'Your balance of %s tokens does not cover the %s-token cost of a message',
  402
)
const UpstreamError = createError('upstream_error', 'The AI provider failed to answer', 502)
const UpstreamTimeoutError = createError('upstream_timeout', 'The AI provider did not answer in time', 504)
const UpstreamBusyError = createError('upstream_busy', 'The AI provider is over capacity; try again later', 503)

export function insufficientTokens(balance: number, cost: number) {
  return Object.assign(new InsufficientTokensBase(balance, cost), { extensions: { balance, cost } })
}

export type UpstreamFailure = 'error' | 'timeout' | 'rate_limited'

const DEFAULT_RETRY_AFTER_SECONDS = 30

/** A reply that did not come, or broke off; `refunded` tells the client whether the message was charged. */
export function upstreamFailure(kind: UpstreamFailure, refunded: boolean, retryAfterSeconds?: number) {
  const extensions = { extensions: { refunded } }
  if (kind === 'timeout') return Object.assign(new UpstreamTimeoutError(), extensions)
  if (kind === 'rate_limited') {
    const headers = { 'retry-after': String(retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) }
    return Object.assign(new UpstreamBusyError(), extensions, { headers })
  }
  return Object.assign(new UpstreamError(), extensions)
}

// Accounts and the admin API

export const AdminRequiredError = createError('admin_required', 'This operation is for administrators only', 403)
export const UserNotFoundError = createError('user_not_found', 'No user named "%s" was found', 404)
export const CannotDeactivateSelfError = createError(
  'cannot_deactivate_self',
  'You cannot deactivate your own account; ask another administrator',
  409
)
const DebitExceedsBalanceBase = createError(
  'insufficient_tokens',
  'The balance of %s tokens does not cover a debit of %s tokens; nothing was changed',
  409
)
const BalanceLimitBase = createError(
  'balance_limit_exceeded',
  'A grant of %s tokens would take the balance of %s tokens past the largest possible balance; nothing was changed',
  409
)

export function debitExceedsBalance(balance: number, debit: number) {
  return Object.assign(new DebitExceedsBalanceBase(balance, debit), { extensions: { balance } })
}

export function balanceLimitExceeded(balance: number, grant: number) {
  return Object.assign(new BalanceLimitBase(grant, balance), { extensions: { balance } })
}
