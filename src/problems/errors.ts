import createError from '@fastify/error'
import type { ReachedLimit, SpendLimitName } from '../db/store.js'

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
// One code for every token refused, as the original API had; the detail tells an expired token from a bad one.
export const TokenNotValidError = apiError('token_not_valid', 'Token is invalid', 401)
export const InvalidApiKeyError = apiError('invalid_api_key', 'The API key is unknown, revoked or expired', 401)
export const TokenExpiredError = apiError('token_not_valid', 'Token has expired', 401)
export const LoginEndedError = apiError(
  'token_not_valid',
  'Token belongs to a login that has ended (logged out, password changed or account deactivated); log in again',
  401
)
export const ChatNotFoundError = apiError('chat_not_found', 'No chat with id %s was found', 404)
export const ConversationNotFoundError = apiError('conversation_not_found', 'No conversation with id %s was found', 404)
export const ConversationBusyError = apiError(
  'conversation_busy',
  'Conversation %s has a reply on its way; delete it once the reply has arrived',
  409
)
export const AccountBusyError = apiError(
  'account_busy',
  'Your account has a reply on its way; delete it once the reply has arrived',
  409
)
export const TooManyChatsInFlightError = apiError(
  'too_many_chats_in_flight',
  'You already have %s replies on their way; wait for one to finish. Nothing was charged',
  429
)
export const IdempotencyKeyReusedError = apiError(
  'idempotency_key_reused',
  'This Idempotency-Key was used with a different request body',
  422
)
export const IdempotencyKeyInUseError = apiError(
  'idempotency_key_in_use',
  'A request with this Idempotency-Key is still being processed; retry once it has finished',
  409
)
export const ShuttingDownError = apiError(
  'shutting_down',
  'The server is shutting down; send the request again and another instance will answer',
  503
)
const NotReadyError = apiError('not_ready', 'The service is not ready: %s', 503)
const StorageUnavailableBase = apiError(
  'storage_unavailable',
  'The database could not complete the request (the disk is full, failing or locked); try again shortly',
  503
)
const WrongPasswordBase = apiError('wrong_password', 'The %s is not your current password', 400)
const InsufficientTokensBase = apiError(
  'insufficient_tokens',
  'Your balance of %s tokens does not cover the %s-token cost of a message',
  402
)
const UpstreamError = apiError('upstream_error', 'The AI provider failed to answer', 502)
const UpstreamTimeoutError = apiError('upstream_timeout', 'The AI provider did not answer in time', 504)
const UpstreamBusyError = apiError('upstream_busy', 'The AI provider is over capacity; try again later', 503)

export type ProblemExtensions = Record<string, unknown>

const ValidationFailedBase = apiError('validation_failed', 'The request %s is invalid: %s', 400)

/**
 * A request whose fields each passed their schema but break a rule the schema cannot state (a range that ends before
 * it starts, a cursor of another report), answered as the schema's own validation problems are.
 */
export function validationFailed(location: string, errors: { pointer: string; message: string }[]) {
  const summary = errors.map(({ pointer, message }) => `${pointer} ${message}`).join('; ')
  const extensions = { errors: errors.map(({ pointer, message }) => ({ pointer, location, message })) }
  return Object.assign(new ValidationFailedBase(location, summary), { extensions })
}

const ModelNotAllowedBase = apiError(
  'model_not_allowed',
  'No model "%s" is offered here; GET /api/models/ lists the models you may use',
  400
)

/** `pointer` names the field of the body that named the model. */
export function modelNotAllowed(model: string, offered: string[], pointer = '#/model') {
  const errors = [{ pointer, location: 'body', message: `is not one of ${offered.join(', ')}` }]
  return Object.assign(new ModelNotAllowedBase(model), { extensions: { errors } })
}

export function insufficientTokens(balance: number, cost: number) {
  return Object.assign(new InsufficientTokensBase(balance, cost), { extensions: { balance, cost } })
}

const SpendLimitReachedBase = apiError(
  'spend_limit_reached',
  'The %s has %s tokens left this period, which does not cover a message; it resets at %s. Nothing was charged',
  429
)

/** How each spend limit is named in a refusal's detail. */
const SPEND_LIMIT_WORDS: Record<SpendLimitName, string> = {
  key_daily: "API key's daily spend limit",
  key_monthly: "API key's monthly spend limit",
  user_monthly: 'monthly spend limit you set',
  admin_monthly: 'monthly spend limit an administrator set on your account'
}

/** A hold that a spend limit refused: which limit, its size, what is left of it, and when it resets. */
export function spendLimitReached(limit: ReachedLimit, now: number) {
  const resetAt = new Date(limit.resetAt).toISOString()
  const extensions = { limit: limit.name, limit_tokens: limit.limit, remaining: limit.remaining, reset_at: resetAt }
  const retryAfterSeconds = Math.max(1, Math.ceil((limit.resetAt - now) / 1000))
  return Object.assign(new SpendLimitReachedBase(SPEND_LIMIT_WORDS[limit.name], limit.remaining, resetAt), {
    extensions,
    headers: { 'retry-after': String(retryAfterSeconds) }
  })
}

/** `field`: the body's field that held the password. */
export function wrongPassword(field: 'old_password' | 'password' = 'old_password') {
  const errors = [{ pointer: `#/${field}`, location: 'body', message: 'is not your current password' }]
  return Object.assign(new WrongPasswordBase(field.replace('_', ' ')), { extensions: { errors } })
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

/** How long a client should wait before retrying a request the database could not take. */
const STORAGE_RETRY_AFTER_SECONDS = 2

/**
 * What every store method rejects with when the database cannot take the operation (a full disk, an I/O error, a
 * lock held past its deadline), whatever the backend; `cause` keeps the driver's error for the logs.
 */
export function storageUnavailable(cause: unknown, extensions: ProblemExtensions = {}) {
  return Object.assign(new StorageUnavailableBase(), {
    cause,
    extensions,
    headers: { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) }
  })
}

const LimitsUnavailableBase = apiError(
  'limits_unavailable',
  'The rate limits (Redis) could not be reached, so nothing was cleared; try again shortly',
  503
)

/** An operation on the limits themselves (an unlock) that could not reach them; counting fails open instead. */
export function limitsUnavailable(cause: unknown) {
  return Object.assign(new LimitsUnavailableBase(), {
    cause,
    headers: { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) }
  })
}

export function isStorageUnavailable(error: unknown): boolean {
  return error instanceof StorageUnavailableBase
}

export function notReady(checks: Record<string, string>) {
  const failing = Object.entries(checks)
    .filter(([, state]) => state !== 'ok')
    .map(([name, state]) => `${name} ${state}`)
  return Object.assign(new NotReadyError(failing.join(', ')), { extensions: { checks } })
}

// API keys

export const ApiKeyNotFoundError = apiError('api_key_not_found', 'No API key with id %s was found', 404)
export const ApiKeyRevokedError = apiError('api_key_revoked', 'API key %s is revoked and can no longer be changed', 409)
export const TooManyApiKeysError = apiError(
  'too_many_api_keys',
  'You already have %s API keys that are not revoked, the most allowed; revoke one first',
  409
)

// Accounts and the admin API

export const AdminRequiredError = apiError('admin_required', 'This operation is for administrators only', 403)
export const UserNotFoundError = apiError('user_not_found', 'No user named "%s" was found', 404)
export const CannotDeactivateSelfError = apiError(
  'cannot_deactivate_self',
  'You cannot deactivate your own account; ask another administrator',
  409
)
export const CannotDemoteSelfError = apiError(
  'cannot_demote_self',
  'You cannot take away your own administrator rights; ask another administrator',
  409
)
const DebitExceedsBalanceBase = apiError(
  'insufficient_tokens',
  'The balance of %s tokens does not cover a debit of %s tokens; nothing was changed',
  409
)
const BalanceLimitBase = apiError(
  'balance_limit_exceeded',
  'The balance of %s tokens and the %s tokens reserved for replies in progress leave room for a grant of at most %s ' +
    'tokens; nothing was changed',
  409
)

export function debitExceedsBalance(balance: number, debit: number) {
  return Object.assign(new DebitExceedsBalanceBase(balance, debit), { extensions: { balance } })
}

/** The reserved tokens count as balance: the refunds of pending chats must never take a balance past 2^53 − 1. */
export function balanceLimitExceeded(balance: number, reserved: number) {
  const largestGrant = Math.max(0, Number.MAX_SAFE_INTEGER - balance - reserved)
  return Object.assign(new BalanceLimitBase(balance, reserved, largestGrant), { extensions: { balance } })
}

// Usernames (RFC 8265 and UTS #39)

const UsernameNotAllowedBase = apiError('username_not_allowed', 'The username %s', 400)
export const UsernameLooksTakenError = apiError(
  'username_taken',
  'The username "%s" looks like one that already exists',
  409
)

/** A username of allowed characters that breaks a rule of the profile; `reason` says which, for the field. */
export function usernameNotAllowed(reason: string) {
  const errors = [{ pointer: '#/username', location: 'body', message: reason }]
  return Object.assign(new UsernameNotAllowedBase(reason), { extensions: { errors } })
}

// Password hashing

const ServerBusyError = apiError('server_busy', 'The server is too busy to check passwords now; try again shortly', 503)

/** Too much password hashing is waiting, or this account already has its share of it in flight. */
export function serverBusy(retryAfterSeconds: number) {
  return Object.assign(new ServerBusyError(), { headers: { 'retry-after': String(retryAfterSeconds) } })
}
