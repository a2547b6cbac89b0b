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

/**
 * A page of history, read on every `GET /api/chats/`: built once per variant (in one conversation or all, from a
 * cursor or the newest) and prepared on each pooled connection, so that neither drizzle's query builder nor the
 * server's parser and planner run per request (a quarter of the page's time was drizzle's builder and mapping).
 */
function preparePage(db: Db, name: string, inConversation: boolean, afterCursor: boolean) {
  return db
    .select(storedChatColumns)
    .from(chats)
    .where(
      and(
        eq(chats.userId, sql.placeholder('userId')),
        inConversation ? eq(chats.conversationId, sql.placeholder('conversationId')) : undefined,
        afterCursor ? lt(chats.id, sql.placeholder('beforeId')) : undefined,
        inHistory
      )
    )
    .orderBy(desc(chats.id))
    .limit(sql.placeholder('limit'))
    .prepare(name)
}

/** What users read of their chats: pages of history, one chat, and a conversation's context for the model. */
export function chatHistoryQueries(db: Db) {
  const pages = {
    newest: preparePage(db, 'list_chats', false, false),
    older: preparePage(db, 'list_chats_older', false, true),
    newestInConversation: preparePage(db, 'list_conversation_chats', true, false),
    olderInConversation: preparePage(db, 'list_conversation_chats_older', true, true)
  }
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
      (conversationId === undefined
        ? beforeId === undefined
          ? pages.newest
          : pages.older
        : beforeId === undefined
          ? pages.newestInConversation
          : pages.olderInConversation
      ).execute({
        userId,
        conversationId,
        beforeId,
        limit
      }),
    findChat: async (userId: number, chatId: number): Promise<StoredChat | undefined> => {
      const [chat] = await db
        .select(storedChatColumns)
        .from(chats)
        .where(and(eq(chats.id, chatId), eq(chats.userId, userId), inHistory))
      return chat
    }
  }
}
