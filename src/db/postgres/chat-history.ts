import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import type { ChatPageQuery, ContextQuery, ContextTurn, StoredChat } from '../store.js'
import type { Db } from './connection.js'
import { chats } from './schema.js'
import { VISIBLE_STATUSES } from '../storage-rules.js'

export const storedChatColumns = {
  id: chats.id,
  conversationId: chats.conversationId,
  message: chats.message,
  response: sql<string>`${chats.response}`,
  status: sql<StoredChat['status']>`${chats.status}`,
  model: chats.model,
  upstreamModel: chats.upstreamModel,
  promptTokens: chats.promptTokens,
  cachedTokens: chats.cachedTokens,
  completionTokens: chats.completionTokens,
  usageSource: chats.usageSource,
  cost: chats.cost,
  createdAt: chats.createdAt
}

const visible = inArray(chats.status, [...VISIBLE_STATUSES])
/** The history holds conversations' messages; `/v1` calls are stateless, seen only in the ledger and usage. */
const inHistory = and(eq(chats.origin, 'chat'), visible)

/** What users read of their chats: pages of history, one chat, and a conversation's context for the model. */
export function chatHistoryQueries(db: Db) {
  return {
    loadConversationContext: async ({ userId, conversationId, limit }: ContextQuery): Promise<ContextTurn[]> => {
      const turns = await db
        .select({ message: chats.message, response: sql<string>`${chats.response}` })
        .from(chats)
        .where(and(eq(chats.conversationId, conversationId), eq(chats.userId, userId), visible))
        .orderBy(desc(chats.id))
        .limit(limit)
      return turns.reverse()
    },
    listChats: async ({ userId, conversationId, beforeId, limit }: ChatPageQuery): Promise<StoredChat[]> =>
      db
        .select(storedChatColumns)
        .from(chats)
        .where(
          and(
            eq(chats.userId, userId),
            conversationId === undefined ? undefined : eq(chats.conversationId, conversationId),
            beforeId === undefined ? undefined : lt(chats.id, beforeId),
            inHistory
          )
        )
        .orderBy(desc(chats.id))
        .limit(limit),
    findChat: async (userId: number, chatId: number): Promise<StoredChat | undefined> => {
      const [chat] = await db
        .select(storedChatColumns)
        .from(chats)
        .where(and(eq(chats.id, chatId), eq(chats.userId, userId), inHistory))
      return chat
    }
  }
}
