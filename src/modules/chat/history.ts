import type { ChatHistoryStore, StoredChat } from '../../db/store.js'
import { ChatNotFoundError } from '../../problems/errors.js'
import { rowIdOf, toPage } from '../common/pages.js'
import { DEFAULT_PAGE_SIZE } from '../common/schemas.js'
import type { ChatItem, ChatPageQuery } from './schemas.js'

export async function listChatHistory(
  store: ChatHistoryStore,
  userId: number,
  { cursor, limit = DEFAULT_PAGE_SIZE }: ChatPageQuery,
  conversationId?: number
) {
  const rows = await store.listChats({
    userId,
    conversationId,
    beforeId: cursor === undefined ? undefined : rowIdOf(cursor),
    limit: limit + 1
  })
  return toPage(rows, limit, toChatItem, (chat) => String(chat.id))
}

export async function getChat(store: ChatHistoryStore, userId: number, chatId: number) {
  const chat = await store.findChat(userId, chatId)
  if (!chat) throw new ChatNotFoundError(chatId)
  return toChatItem(chat)
}

export function toChatItem(chat: StoredChat): ChatItem {
  return {
    id: chat.id,
    conversation_id: chat.conversationId,
    message: chat.message,
    response: chat.response,
    status: chat.status,
    timestamp: new Date(chat.createdAt).toISOString(),
    cost: chat.cost,
    model: chat.model,
    upstream_model: chat.upstreamModel,
    usage: usageOf(chat),
    usage_source: chat.usageSource
  }
}

export function usageOf(
  chat: Pick<StoredChat, 'promptTokens' | 'cachedTokens' | 'completionTokens'>
): ChatItem['usage'] {
  if (chat.promptTokens === null || chat.completionTokens === null) return null
  return {
    prompt_tokens: chat.promptTokens,
    cached_tokens: chat.cachedTokens ?? 0,
    completion_tokens: chat.completionTokens
  }
}
