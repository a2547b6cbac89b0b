import type { FinishReason, GenerateRequest } from '../../ai/provider.js'
import type { IdempotencyScope, SettledChat } from '../../db/store.js'
import { affordableMaxTokens, holdFor } from '../../pricing/cost.js'
import type { ModelCatalog, PricedModel } from '../../pricing/models.js'
import {
  ConversationNotFoundError,
  TooManyChatsInFlightError,
  insufficientTokens,
  modelNotAllowed,
  spendLimitReached
} from '../../problems/errors.js'
import type { WriteLog } from '../common/write-later.js'
import type { ClaimedKey } from '../idempotency/service.js'
import { askProvider } from './ask-provider.js'
import type { CallTiming } from './call-timing.js'
import { ReplyDeadline } from './deadline.js'
import { MAX_REPLY_IDLE_PERIODS, type ChatDependencies, type ReservedChat } from './dependencies.js'
import { toChatItem } from './history.js'
import { planChat, type ChatPlan } from './metering.js'
import { failChat, settleChat } from './outcome.js'
import { buildPrompt, titleFrom } from './prompt.js'
import type { ChatReply, ChatRequest } from './schemas.js'

export { getChat, listChatHistory } from './history.js'
export { createChatDependencies, type ChatDependencies, type ChatEngineOptions } from './dependencies.js'
export { CallTiming } from './call-timing.js'

export interface ChatOptions {
  /** Aborted when the client goes away. */
  clientGone: AbortSignal
  /** Where a write that has to wait for the database (a refund) and a provider's over-report are logged. */
  log: WriteLog
  /** The Idempotency-Key this request claimed: the reservation binds it to the chat, and says so. */
  idempotencyKey?: ClaimedKey
  /** Called once the cost is reserved, before the provider is asked (a stream opens here). */
  onStart?: (chat: ReservedChat) => void
  /** Given for streaming: receives each piece of text as it arrives. */
  onDelta?: (text: string) => void
  /** Where the phases of the call are timed (`Server-Timing`); its overhead goes to the metrics once settled. */
  timing: CallTiming
}

/** The model a request names, or the default; 400 `model_not_allowed` for one that is not offered. */
export function pickModel(models: ModelCatalog, id: string | undefined): PricedModel {
  if (id === undefined) return models.defaultModel
  const model = models.models.get(id)
  if (!model) throw modelNotAllowed(id, [...models.models.keys()])
  return model
}

/**
 * A chat message, from the per-user in-flight slot to the settled reply: build the prompt with the conversation's
 * context, then `runMetered`.
 */
export async function runChat(
  deps: ChatDependencies,
  userId: number,
  request: ChatRequest,
  options: ChatOptions
): Promise<ChatReply> {
  const model = pickModel(deps.models, request.model)
  const record: ChatRecord = {
    origin: 'chat',
    conversationId: request.conversation_id,
    newConversationTitle: titleFrom(request.message),
    message: request.message
  }
  const { chat, settled } = await runMetered(deps, userId, record, options, async () =>
    planChat(model, await promptFor(deps, userId, request))
  )
  return { ...toChatItem(settled), remaining_tokens: settled.remainingTokens ?? chat.remainingTokens }
}

/** How a metered call is recorded: a message of a conversation, or a stateless `/v1` call (by a key, or not). */
export type ChatRecord =
  | { origin: 'chat'; conversationId: number | undefined; newConversationTitle: string; message: string }
  | { origin: 'api'; apiKeyId: number | undefined; message: string }

/** A settled metered call: the reservation, the settled chat, and why the model stopped. */
export interface MeteredReply {
  chat: ReservedChat
  settled: SettledChat
  finishReason: FinishReason
}

/**
 * A metered model call, from the per-user in-flight slot to the settled reply: plan the prompt (the hold must cover
 * all of it, so it is built first), hold its worst-case cost (every refusal comes before anything is charged), ask the
 * provider, then settle the chat to what the reply used, or end it as `failChat` says. The slot is held from before
 * the reservation until the chat is settled or refunded, and the chat's lease (see `leases.ts`) is renewed from the
 * reservation until then.
 */
export async function runMetered(
  deps: ChatDependencies,
  userId: number,
  record: ChatRecord,
  options: ChatOptions,
  plan: () => Promise<ChatPlan>
): Promise<MeteredReply> {
  const slot = await deps.inFlight.acquire(String(userId))
  if (!slot) throw new TooManyChatsInFlightError(deps.ai.maxConcurrentPerUser)
  try {
    const planned = await plan()
    const chat = await options.timing.measure('hold', () =>
      reserve(deps, userId, record, planned, options.idempotencyKey?.scope)
    )
    options.idempotencyKey?.charged()
    try {
      options.onStart?.(chat)
      const replied = await reply(deps, chat, options)
      deps.recorder.overheadMeasured(record.origin, options.timing.overheadSeconds())
      return replied
    } finally {
      deps.leases.release(chat.chatId)
    }
  } finally {
    await slot.release()
  }
}

/** The prompt, with the conversation's earlier exchanges. */
async function promptFor(deps: ChatDependencies, userId: number, request: ChatRequest) {
  const context =
    request.conversation_id === undefined
      ? []
      : await deps.store.loadConversationContext({
          userId,
          conversationId: request.conversation_id,
          limit: Math.ceil(deps.ai.contextMessages / 2)
        })
  return buildPrompt(deps.ai.systemPrompt, context, deps.ai.contextMessages, request.message)
}

/**
 * Debits the plan's hold. When the balance cannot cover it, `max_tokens` is lowered to what the balance affords and
 * the debit tried again, unless that leaves fewer than `MIN_OUTPUT_TOKENS`: then 402, naming the smallest call's cost.
 * A spend limit that cannot cover it is handled alike, with what is left of the limit (or the balance, if less) as
 * what is available; at the end it is 429 `spend_limit_reached`, naming the limit.
 * The balance a refusal reports is read after it, so it may already hold credits back from other chats' settlements
 * (or miss holds taken since): while it covers a call, the debit is tried again, a few times.
 */
async function reserve(
  deps: ChatDependencies,
  userId: number,
  record: ChatRecord,
  plan: ChatPlan,
  idempotencyKey: IdempotencyScope | undefined
): Promise<ReservedChat> {
  const recorded =
    record.origin === 'chat' ? record : { ...record, conversationId: undefined, newConversationTitle: '' }
  const debit = (held: ChatPlan) =>
    deps.store.reserveChat({
      userId,
      ...recorded,
      model: held.model.id,
      hold: held.hold,
      idempotencyKey,
      lease: deps.leases.forReservation(),
      now: Date.now()
    })
  let held = plan
  let reservation = await debit(held)
  const smallest = Math.min(deps.ai.minOutputTokens, plan.maxTokens ?? deps.ai.minOutputTokens)
  for (let attempt = 0; attempt < RETRIES && !reservation.reserved; attempt++) {
    if (reservation.reason === 'conversation_not_found') break
    const available =
      reservation.reason === 'spend_limit'
        ? Math.min(reservation.balance, reservation.limit.remaining)
        : reservation.balance
    const affordable = affordableMaxTokens(plan.model, plan.promptBound, available)
    if (affordable < smallest) break
    held =
      plan.maxTokens !== undefined && affordable < plan.maxTokens
        ? planChat(plan.model, plan.messages, affordable, plan.sampling)
        : plan
    reservation = await debit(held)
  }
  if (reservation.reserved) {
    deps.leases.hold(reservation.chatId)
    deps.recorder.tokensCharged(held.hold)
    const { chatId, conversationId, remainingTokens } = reservation
    return { userId, chatId, conversationId, plan: held, remainingTokens }
  }
  if (reservation.reason === 'conversation_not_found') {
    throw new ConversationNotFoundError(record.origin === 'chat' ? record.conversationId : undefined)
  }
  if (reservation.reason === 'spend_limit') {
    deps.recorder.chatFinished('spend_limit_reached')
    throw spendLimitReached(reservation.limit, Date.now())
  }
  deps.recorder.chatFinished('insufficient_tokens')
  const smallestCost = plan.model.output > 0n ? holdFor(plan.model, plan.promptBound, smallest) : plan.hold
  // Past the attempts, the balance last seen may cover the smallest call yet not the lowered hold just refused.
  throw insufficientTokens(reservation.balance, reservation.balance < smallestCost ? smallestCost : held.hold)
}

/** How often a refused hold is tried again while the balance read after the refusal covers a call. */
const RETRIES = 5

async function reply(deps: ChatDependencies, chat: ReservedChat, options: ChatOptions): Promise<MeteredReply> {
  const { clientGone, onDelta, log, timing } = options
  const deadline = new ReplyDeadline(deps.ai.timeoutMs, deps.ai.timeoutMs * MAX_REPLY_IDLE_PERIODS, clientGone)
  const partial: string[] = []
  try {
    const request: GenerateRequest = {
      model: chat.plan.model.upstream,
      messages: chat.plan.messages,
      maxTokens: chat.plan.maxTokens,
      sampling: chat.plan.sampling,
      signal: deadline.signal
    }
    const answer = await timing.measure('model', () =>
      askProvider(
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
    )
    const settled = await timing.measure('settle', () => settleChat(deps, chat, 'completed', answer, log))
    return { chat, settled, finishReason: answer.finishReason ?? 'stop' }
  } catch (error) {
    // What ended the reply is decided now: a time limit could still expire while the settlement awaits its commit.
    deadline.clear()
    const context = { deadline, clientLeft: clientGone.aborted, partialText: partial.join(''), log }
    throw await failChat(deps, chat, error, context)
  } finally {
    deadline.clear()
  }
}
