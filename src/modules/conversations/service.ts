import type { ChatHistoryStore, ConversationStore, StoredConversation } from '../../db/store.js'
import { ConversationBusyError, ConversationNotFoundError } from '../../problems/errors.js'
import type { ChatPageQuery } from '../chat/schemas.js'
import { listChatHistory } from '../chat/service.js'
import { rowIdOf, toPage } from '../common/pages.js'
import { DEFAULT_PAGE_SIZE } from '../common/schemas.js'
import type { Conversation, ConversationPageQuery } from './schemas.js'

export async function listConversations(
  store: ConversationStore & ChatHistoryStore,
  userId: number,
  { cursor, limit = DEFAULT_PAGE_SIZE }: ConversationPageQuery
) {
  const [updatedAt, id] = cursor?.split('_') ?? []
  const rows = await store.listConversations({
    userId,
    after: updatedAt === undefined || id === undefined ? undefined : { updatedAt: Number(updatedAt), id: rowIdOf(id) },
    limit: limit + 1
  })
  return toPage(rows, limit, toConversation, (conversation) => `${conversation.updatedAt}_${conversation.id}`)
}

export async function getConversation(
  store: ConversationStore & ChatHistoryStore,
  userId: number,
  conversationId: number,
  page: ChatPageQuery
) {
  const conversation = await store.findConversation(userId, conversationId)
  if (!conversation) throw new ConversationNotFoundError(conversationId)
  return { ...toConversation(conversation), messages: await listChatHistory(store, userId, page, conversationId) }
}

export async function renameConversation(
  store: ConversationStore & ChatHistoryStore,
  userId: number,
  conversationId: number,
  title: string
) {
  const renamed = await store.renameConversation({ userId, conversationId, title: title.trim() })
  if (!renamed) throw new ConversationNotFoundError(conversationId)
  return toConversation(renamed)
}

/** Deletes the conversation and its chats; the ledger keeps its rows, since it is the permanent record. */
export async function deleteConversation(
  store: ConversationStore & ChatHistoryStore,
  userId: number,
  conversationId: number
) {
  const outcome = await store.deleteConversation(userId, conversationId)
  if (outcome === 'not_found') throw new ConversationNotFoundError(conversationId)
  if (outcome === 'busy') throw new ConversationBusyError(conversationId)
}

function toConversation(conversation: StoredConversation): Conversation {
  return {
    id: conversation.id,
    title: conversation.title,
    message_count: conversation.messageCount,
    created_at: new Date(conversation.createdAt).toISOString(),
    updated_at: new Date(conversation.updatedAt).toISOString()
  }
}
