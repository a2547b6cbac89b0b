import type { AiProvider } from '../../ai/provider.js'
import type { Store, StoredChat } from '../../db/store.js'
import { ChatNotFoundError, insufficientTokens, upstreamFailure } from '../../errors.js'
import type { ChatRecorder } from '../../metrics/recorder.js'
import { DEFAULT_PAGE_SIZE, type ChatItem, type ChatPageQuery } from './schemas.js'

export interface ChatDependencies {
  store: Store
  provider: AiProvider
  chatCost: number
  recorder: ChatRecorder
}

/**
 * Reserve → generate → settle. The cost is debited together with a pending chat before the provider is called;
 * a reply settles it, and anything else refunds it, so nothing is charged for an answer that never came.
 */
export async function sendChatMessage(deps: ChatDependencies, userId: number, message: string) {
  const { store, chatCost, recorder } = deps
  const reservation = await store.reserveChat({ userId, message, cost: chatCost, now: Date.now() })
  if (!reservation.reserved) {
    recorder.chatFinished('insufficient_tokens')
    throw insufficientTokens(reservation.balance, chatCost)
  }
  const { chatId, remainingTokens } = reservation
  recorder.tokensCharged(chatCost)

  let reply
  try {
    reply = await generateReply(deps, message)
  } catch (error) {
    await refund(deps, chatId, `provider error: ${String(error)}`, 'upstream_error')
    throw upstreamFailure(error)
  }

  try {
    const chat = await store.settleChat({ chatId, response: reply.text, now: Date.now() })
    recorder.chatFinished('completed')
    return { ...toChatItem(chat), remaining_tokens: remainingTokens }
  } catch (error) {
    await refund(deps, chatId, 'the reply could not be stored', 'failed')
    throw error
  }
}

/** Asks the provider and times it; an empty reply counts as a failure. */
async function generateReply({ provider, recorder }: ChatDependencies, message: string) {
  const started = performance.now()
  let succeeded = false
  try {
    const reply = await provider.generate([{ role: 'user', content: message }])
    if (typeof reply?.text !== 'string' || reply.text.length === 0)
      throw new Error('the provider returned an empty reply')
    succeeded = true
    return reply
  } finally {
    recorder.providerAnswered(provider.name, (performance.now() - started) / 1000, succeeded)
  }
}

async function refund(
  { store, chatCost, recorder }: ChatDependencies,
  chatId: number,
  reason: string,
  outcome: 'upstream_error' | 'failed'
) {
  await store.refundChat({ chatId, reason, now: Date.now() })
  recorder.tokensRefunded(chatCost)
  recorder.chatFinished(outcome)
}

export async function listChatHistory(
  store: Store,
  userId: number,
  { cursor, limit = DEFAULT_PAGE_SIZE }: ChatPageQuery
) {
  const rows = await store.listChats({
    userId,
    beforeId: cursor === undefined ? undefined : Number(cursor),
    limit: limit + 1
  })
  const items = rows.slice(0, limit).map(toChatItem)
  const hasMore = rows.length > limit
  return { items, next_cursor: hasMore ? String(items.at(-1)!.id) : null }
}

export async function getChat(store: Store, userId: number, chatId: number) {
  const chat = await store.findChat(userId, chatId)
  if (!chat) throw new ChatNotFoundError(chatId)
  return toChatItem(chat)
}

function toChatItem(chat: StoredChat): ChatItem {
  return {
    id: chat.id,
    message: chat.message,
    response: chat.response,
    timestamp: new Date(chat.createdAt).toISOString(),
    cost: chat.cost
  }
}
