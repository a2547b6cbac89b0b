import type { AiProvider } from '../../ai/provider.js'
import type { Store, StoredChat } from '../../db/store.js'
import { ChatNotFoundError, insufficientTokens, upstreamFailure } from '../../errors.js'
import type { ChatItem, ChatPageQuery } from './schemas.js'

export interface ChatDependencies {
  store: Store
  provider: AiProvider
  chatCost: number
}

/**
 * Reserve → generate → settle. The cost is debited together with a pending chat before the provider is called;
 * a reply settles it, and anything else refunds it, so nothing is charged for an answer that never came.
 */
export async function sendChatMessage(
  { store, provider, chatCost }: ChatDependencies,
  userId: number,
  message: string
) {
  const reservation = await store.reserveChat({ userId, message, cost: chatCost, now: Date.now() })
  if (!reservation.reserved) throw insufficientTokens(reservation.balance, chatCost)
  const { chatId, remainingTokens } = reservation

  let reply
  try {
    reply = await provider.generate([{ role: 'user', content: message }])
    if (typeof reply?.text !== 'string' || reply.text.length === 0)
      throw new Error('the provider returned an empty reply')
  } catch (error) {
    await store.refundChat({ chatId, reason: `provider error: ${String(error)}`, now: Date.now() })
    throw upstreamFailure(error)
  }

  try {
    const chat = await store.settleChat({ chatId, response: reply.text, now: Date.now() })
    return { ...toChatItem(chat), remaining_tokens: remainingTokens }
  } catch (error) {
    await store.refundChat({ chatId, reason: 'the reply could not be stored', now: Date.now() })
    throw error
  }
}

export async function listChatHistory(store: Store, userId: number, { cursor, limit }: ChatPageQuery) {
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
