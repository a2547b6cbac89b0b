import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import type { ChatPageQuery, ContextQuery, ContextTurn, StoredChat } from '../store.js'
import type { Db } from './connection.js'
import { prepareRawSelect } from './raw-select.js'
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
  const selectContext = db
    .select({ message: chats.message, response: sql<string>`${chats.response}` })
    .from(chats)
    .where(
      and(
        eq(chats.conversationId, sql.placeholder('conversationId')),
        eq(chats.userId, sql.placeholder('userId')),
        visible
      )
    )
    .orderBy(desc(chats.id))
    .limit(sql.placeholder('limit'))
    .prepare()

  const selectUserChats = prepareRawSelect<StoredChat>(
    db,
    db
      .select(storedChatColumns)
      .from(chats)
      .where(and(eq(chats.userId, sql.placeholder('userId')), lt(chats.id, sql.placeholder('beforeId')), inHistory))
      .orderBy(desc(chats.id))
      .limit(sql.placeholder('limit'))
  )

  const selectConversationChats = prepareRawSelect<StoredChat>(
    db,
    db
      .select(storedChatColumns)
      .from(chats)
      .where(
        and(
          eq(chats.conversationId, sql.placeholder('conversationId')),
          eq(chats.userId, sql.placeholder('userId')),
          lt(chats.id, sql.placeholder('beforeId')),
          inHistory
        )
      )
      .orderBy(desc(chats.id))
      .limit(sql.placeholder('limit'))
  )

  const selectChat = db
    .select(storedChatColumns)
    .from(chats)
    .where(and(eq(chats.id, sql.placeholder('chatId')), eq(chats.userId, sql.placeholder('userId')), inHistory))
    .prepare()

  return {
    loadConversationContext: async (query: ContextQuery): Promise<ContextTurn[]> => selectContext.all(query).reverse(),
    listChats: async ({ userId, conversationId, beforeId, limit }: ChatPageQuery): Promise<StoredChat[]> => {
      const page = { userId, beforeId: beforeId ?? Number.MAX_SAFE_INTEGER, limit }
      return conversationId === undefined
        ? selectUserChats.all(page)
        : selectConversationChats.all({ ...page, conversationId })
    },
    findChat: async (userId: number, chatId: number): Promise<StoredChat | undefined> =>
      selectChat.get({ userId, chatId })
  }
}
