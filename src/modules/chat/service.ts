import type { GenerateRequest } from '../../ai/provider.js'
import type { IdempotencyScope } from '../../db/store.js'
import { ConversationNotFoundError, TooManyChatsInFlightError, insufficientTokens } from '../../problems/errors.js'
import type { WriteLog } from '../common/write-later.js'
import type { ClaimedKey } from '../idempotency/service.js'
import { askProvider } from './ask-provider.js'
import { ReplyDeadline } from './deadline.js'
import { MAX_REPLY_IDLE_PERIODS, type ChatDependencies, type ReservedChat } from './dependencies.js'
import { toChatItem } from './history.js'
import { failChat, settleChat } from './outcome.js'
import { buildPrompt, titleFrom } from './prompt.js'
import type { ChatReply, ChatRequest } from './schemas.js'

export { getChat, listChatHistory } from './history.js'
export type { ChatDependencies } from './dependencies.js'

export interface ChatOptions {
  /** Aborted when the client goes away. */
  clientGone: AbortSignal
  /** Where a write that has to wait for the database (a refund) reports. */
  log: WriteLog
  /** The Idempotency-Key this request claimed: the reservation binds it to the chat, and says so. */
  idempotencyKey?: ClaimedKey
  /** Called once the cost is reserved, before the provider is asked (a stream opens here). */
  onStart?: () => void
  /** Given for streaming: receives each piece of text as it arrives. */
  onDelta?: (text: string) => void
}

/**
 * A chat message, from the per-user in-flight slot to the settled reply: reserve the cost (every refusal comes
 * before anything is charged), ask the provider, then settle the chat as `completed`, or end it as `failChat` says.
 * The slot is held from before the reservation until the chat is settled or refunded, and the chat's lease (see
 * `leases.ts`) is renewed from the reservation until then.
 */
export async function runChat(
  deps: ChatDependencies,
  userId: number,
  request: ChatRequest,
  options: ChatOptions
): Promise<ChatReply> {
  const slot = await deps.inFlight.acquire(String(userId))
  if (!slot) throw new TooManyChatsInFlightError(deps.ai.maxConcurrentPerUser)
  try {
    const chat = await reserve(deps, userId, request, options.idempotencyKey?.scope)
    options.idempotencyKey?.charged()
    try {
      options.onStart?.()
      return await reply(deps, chat, options)
    } finally {
      deps.leases.release(chat.chatId)
    }
  } finally {
    await slot.release()
  }
}

async function reserve(
  deps: ChatDependencies,
  userId: number,
  request: ChatRequest,
  idempotencyKey: IdempotencyScope | undefined
): Promise<ReservedChat> {
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
}

async function reply(deps: ChatDependencies, chat: ReservedChat, options: ChatOptions): Promise<ChatReply> {
  const { clientGone, onDelta, log } = options
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
    const answer = await askProvider(
      deps.provider,
      deps.recorder,
      request,
      onDelta &&
        ((text) => {
          deadline.progressed()
          partial.push(text)
          onDelta(text)
        })
    )
    const settled = await settleChat(deps, chat, 'completed', answer)
    return { ...toChatItem(settled), remaining_tokens: chat.remainingTokens }
  } catch (error) {
    // What ended the reply is decided now: a time limit could still expire while the settlement awaits its commit.
    deadline.clear()
    const context = { deadline, clientLeft: clientGone.aborted, partialText: partial.join(''), log }
    throw await failChat(deps, chat, error, context)
  } finally {
    deadline.clear()
  }
}
