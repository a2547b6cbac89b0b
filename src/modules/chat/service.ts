import type { AiConfig } from '../../config.js'
import { AiProviderError } from '../../ai/errors.js'
import type { AiProvider, AiReply, GenerateRequest } from '../../ai/provider.js'
import type { ChargingStore, ChatHistoryStore, IdempotencyScope, IdempotencyStore, StoredChat } from '../../db/store.js'
import {
  ChatNotFoundError,
  ConversationNotFoundError,
  TooManyChatsInFlightError,
  insufficientTokens,
  isStorageUnavailable,
  storageUnavailable,
  upstreamFailure
} from '../../problems/errors.js'
import { writeOrRetryLater, type WriteLog } from '../common/write-later.js'
import { ReplyDeadline } from './deadline.js'
import type { InFlightLimiter } from './in-flight.js'
import type { ChatLeases } from './leases.js'
import { buildPrompt, titleFrom } from './prompt.js'
import type { ChatOutcome, ChatRecorder } from '../../metrics/recorder.js'
import { toPage } from '../common/pages.js'
import { DEFAULT_PAGE_SIZE } from '../common/schemas.js'
import type { ChatItem, ChatPageQuery, ChatReply, ChatRequest } from './schemas.js'

export interface ChatDependencies {
  store: ChargingStore & ChatHistoryStore & IdempotencyStore
  provider: AiProvider
  chatCost: number
  ai: AiConfig
  inFlight: InFlightLimiter
  leases: ChatLeases
  recorder: ChatRecorder
}

/** A reply may go on streaming while it makes progress, but never longer than this many idle time limits in all. */
export const MAX_REPLY_IDLE_PERIODS = 10

/** A chat whose cost is reserved and whose reply is still to come. */
export interface ReservedChat {
  userId: number
  chatId: number
  conversationId: number
  /** The message opened a new conversation, so there is no earlier context to load. */
  startsConversation: boolean
  message: string
  remainingTokens: number
}

export interface ReplyOptions {
  /** Aborted when the client goes away. */
  clientGone: AbortSignal
  /** Where a refund that has to wait for the database reports. */
  log: WriteLog
  /** Given for streaming: receives each piece of text as it arrives. */
  onDelta?: (text: string) => void
}

/**
 * First step of a chat: the per-user in-flight limit, then the reservation (debit + pending chat, and the binding of
 * the request's Idempotency-Key, if any). Every refusal here happens before anything is charged.
 */
export async function reserveChat(
  deps: ChatDependencies,
  userId: number,
  request: ChatRequest,
  idempotencyKey?: IdempotencyScope
): Promise<ReservedChat> {
  if (!deps.inFlight.tryAcquire(userId)) throw new TooManyChatsInFlightError(deps.ai.maxConcurrentPerUser)
  try {
    const reservation = await deps.store.reserveChat({
      userId,
      conversationId: request.conversation_id,
      newConversationTitle: titleFrom(request.message),
      message: request.message,
      cost: deps.chatCost,
      idempotencyKey,
      lease: deps.leases.forReservation(),
      now: Date.now()
    })
    if (reservation.reserved) {
      deps.leases.hold(reservation.chatId)
      deps.recorder.tokensCharged(deps.chatCost)
      const startsConversation = request.conversation_id === undefined
      return { userId, message: request.message, startsConversation, ...reservation }
    }
    if (reservation.reason === 'conversation_not_found') throw new ConversationNotFoundError(request.conversation_id)
    deps.recorder.chatFinished('insufficient_tokens')
    throw insufficientTokens(reservation.balance, deps.chatCost)
  } catch (error) {
    deps.inFlight.release(userId)
    throw error
  }
}

/**
 * Second step: ask the provider and settle. A reply settles the chat as `completed`; a stream that broke after some
 * text settles as `incomplete` (charged, since the text was delivered); anything else refunds the reservation. When
 * the database cannot record the outcome, the chat is refunded (see `refundUnrecorded`).
 */
export async function replyToChat(
  deps: ChatDependencies,
  chat: ReservedChat,
  { clientGone, onDelta, log }: ReplyOptions
): Promise<ChatReply> {
  const deadline = new ReplyDeadline(deps.ai.timeoutMs, deps.ai.timeoutMs * MAX_REPLY_IDLE_PERIODS, clientGone)
  const partial: string[] = []
  try {
    const context = chat.startsConversation
      ? []
      : await deps.store.loadConversationContext({
          conversationId: chat.conversationId,
          beforeChatId: chat.chatId,
          limit: Math.ceil(deps.ai.contextMessages / 2)
        })
    const request: GenerateRequest = {
      messages: buildPrompt(deps.ai.systemPrompt, context, deps.ai.contextMessages, chat.message),
      signal: deadline.signal
    }
    const reply = await timed(deps, () =>
      onDelta
        ? collectStream(deps.provider, request, (text) => {
            deadline.progressed()
            partial.push(text)
            onDelta(text)
          })
        : deps.provider.complete(request)
    )
    const settled = await settle(deps, chat, 'completed', reply)
    return { ...toChatItem(settled), remaining_tokens: chat.remainingTokens }
  } catch (error) {
    // What ended the reply is decided now: a time limit could still expire while the settlement awaits its commit.
    deadline.clear()
    if (isStorageUnavailable(error)) throw await refundUnrecorded(deps, chat, error, log)
    const clientLeft = clientGone.aborted
    const text = partial.join('')
    const failure = classify(error, deadline, !text)
    if (text) {
      try {
        await settle(deps, chat, 'incomplete', { text, model: deps.ai.model ?? deps.provider.name, usage: null })
      } catch (settleError) {
        if (isStorageUnavailable(settleError)) throw await refundUnrecorded(deps, chat, settleError, log)
        throw settleError
      }
      throw failure
    }
    const refundedNow = await refund(deps, chat, describe(error, clientLeft), log)
    if (!refundedNow) throw storageFailure(deps, error)
    deps.recorder.chatFinished(clientLeft ? 'client_gone' : (failure.code.toLowerCase() as ChatOutcome))
    throw failure
  } finally {
    deadline.clear()
    deps.inFlight.release(chat.userId)
    deps.leases.release(chat.chatId)
  }
}

/**
 * The database could not take a chat's settlement (or could not even load its context): the chat is refunded, even
 * if some or all of its text was delivered, because only a refund is certain to follow. The chat stays pending until
 * the refund commits, and every way out of pending for it is a refund: the retries here, the sweep, a restart.
 */
async function refundUnrecorded(deps: ChatDependencies, chat: ReservedChat, cause: unknown, log: WriteLog) {
  await refund(deps, chat, 'the database could not record the reply', log)
  return storageFailure(deps, cause)
}

function storageFailure(deps: ChatDependencies, cause: unknown) {
  deps.recorder.chatFinished('storage_unavailable')
  return storageUnavailable(cause, { refunded: true })
}

/** Refunds the chat now, or in the background once the database takes writes again; says whether it was now. */
function refund(deps: ChatDependencies, chat: ReservedChat, reason: string, log: WriteLog): Promise<boolean> {
  log.warn({ chatId: chat.chatId, reason }, 'the chat got no reply; refunding it')
  return writeOrRetryLater(() => deps.store.refundChat({ chatId: chat.chatId, reason, now: Date.now() }), {
    what: `the refund of chat ${chat.chatId}`,
    log,
    onWritten: (refunded) => {
      if (refunded) deps.recorder.tokensRefunded(deps.chatCost)
    }
  })
}

async function collectStream(provider: AiProvider, request: GenerateRequest, onDelta: (text: string) => void) {
  const pieces: string[] = []
  for await (const event of provider.stream(request)) {
    if (request.signal.aborted) break
    if (event.type === 'end') return { text: pieces.join(''), model: event.model, usage: event.usage }
    pieces.push(event.text)
    onDelta(event.text)
  }
  throw new AiProviderError('error', 'the stream ended without the end of the reply')
}

/** Asks the provider and times it for the metrics; an empty reply counts as a failure. */
async function timed({ provider, recorder }: ChatDependencies, ask: () => Promise<AiReply>): Promise<AiReply> {
  const started = performance.now()
  let succeeded = false
  try {
    const reply = await ask()
    if (!reply.text) throw new AiProviderError('error', 'the provider returned an empty reply')
    succeeded = true
    return reply
  } finally {
    recorder.providerAnswered(provider.name, (performance.now() - started) / 1000, succeeded)
  }
}

async function settle(deps: ChatDependencies, chat: ReservedChat, status: 'completed' | 'incomplete', reply: AiReply) {
  const settled = await deps.store.settleChat({
    chatId: chat.chatId,
    status,
    response: reply.text,
    model: reply.model,
    promptTokens: reply.usage?.promptTokens ?? null,
    completionTokens: reply.usage?.completionTokens ?? null,
    now: Date.now()
  })
  deps.recorder.chatFinished(status)
  return settled
}

function classify(error: unknown, deadline: ReplyDeadline, refunded: boolean) {
  if (deadline.expired) return upstreamFailure('timeout', refunded)
  if (error instanceof AiProviderError) return upstreamFailure(error.kind, refunded, error.retryAfterSeconds)
  return upstreamFailure('error', refunded)
}

function describe(error: unknown, clientLeft: boolean): string {
  if (clientLeft) return 'the client disconnected before any text'
  return `provider error: ${error instanceof Error ? error.message : String(error)}`
}

export async function listChatHistory(
  store: ChatHistoryStore,
  userId: number,
  { cursor, limit = DEFAULT_PAGE_SIZE }: ChatPageQuery,
  conversationId?: number
) {
  const rows = await store.listChats({
    userId,
    conversationId,
    beforeId: cursor === undefined ? undefined : Number(cursor),
    limit: limit + 1
  })
  return toPage(rows, limit, toChatItem, (chat) => String(chat.id))
}

export async function getChat(store: ChatHistoryStore, userId: number, chatId: number) {
  const chat = await store.findChat(userId, chatId)
  if (!chat) throw new ChatNotFoundError(chatId)
  return toChatItem(chat)
}

function toChatItem(chat: StoredChat): ChatItem {
  return {
    id: chat.id,
    conversation_id: chat.conversationId,
    message: chat.message,
    response: chat.response,
    status: chat.status,
    timestamp: new Date(chat.createdAt).toISOString(),
    cost: chat.cost,
    model: chat.model,
    usage:
      chat.promptTokens === null || chat.completionTokens === null
        ? null
        : { prompt_tokens: chat.promptTokens, completion_tokens: chat.completionTokens }
  }
}
