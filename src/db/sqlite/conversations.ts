import { and, count, desc, eq, inArray, lt, or, sql } from 'drizzle-orm'
import { chats, conversations } from './schema.js'
import type {
  ConversationPageQuery,
  ConversationRename,
  DeleteConversationResult,
  StoredConversation
} from '../store.js'
import { VISIBLE_STATUSES } from '../storage-rules.js'
import type { Db } from './connection.js'
import { writeTransaction } from './transaction.js'

const conversationColumns = {
  id: conversations.id,
  title: conversations.title,
  // Spelled out in full: drizzle leaves the outer column unqualified, and inside the subquery `id` would be chats.id.
  messageCount: sql<number>`(select count(*) from ${chats} where ${chats.conversationId} = "conversations"."id" and ${inArray(chats.status, [...VISIBLE_STATUSES])})`,
  createdAt: conversations.createdAt,
  updatedAt: conversations.updatedAt
}

export function conversationQueries(db: Db) {
  const selectPage = db
    .select(conversationColumns)
    .from(conversations)
    .where(
      and(
        eq(conversations.userId, sql.placeholder('userId')),
        or(
          lt(conversations.updatedAt, sql.placeholder('updatedAt')),
          and(eq(conversations.updatedAt, sql.placeholder('updatedAt')), lt(conversations.id, sql.placeholder('id')))
        )
      )
    )
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(sql.placeholder('limit'))
    .prepare()

  const selectOne = db
    .select(conversationColumns)
    .from(conversations)
    .where(
      and(eq(conversations.id, sql.placeholder('conversationId')), eq(conversations.userId, sql.placeholder('userId')))
    )
    .prepare()

  const rename = db
    .update(conversations)
    .set({ title: sql`${sql.placeholder('title')}` })
    .where(
      and(eq(conversations.id, sql.placeholder('conversationId')), eq(conversations.userId, sql.placeholder('userId')))
    )
    .returning({ id: conversations.id })
    .prepare()

  const countPending = db
    .select({ pending: count() })
    .from(chats)
    .where(and(eq(chats.conversationId, sql.placeholder('conversationId')), eq(chats.status, 'pending')))
    .prepare()

  const remove = db
    .delete(conversations)
    .where(
      and(eq(conversations.id, sql.placeholder('conversationId')), eq(conversations.userId, sql.placeholder('userId')))
    )
    .returning({ id: conversations.id })
    .prepare()

  /** A conversation with a reply still on its way is kept: its settlement needs the chat row. */
  const deleteConversation = writeTransaction(
    db,
    (userId: number, conversationId: number): DeleteConversationResult => {
      if (!selectOne.get({ userId, conversationId })) return 'not_found'
      if (countPending.get({ conversationId })!.pending > 0) return 'busy'
      remove.run({ userId, conversationId })
      return 'deleted'
    }
  )

  return {
    listConversations: async ({ userId, after, limit }: ConversationPageQuery): Promise<StoredConversation[]> =>
      selectPage.all({
        userId,
        updatedAt: after?.updatedAt ?? Number.MAX_SAFE_INTEGER,
        id: after?.id ?? Number.MAX_SAFE_INTEGER,
        limit
      }),
    findConversation: async (userId: number, conversationId: number): Promise<StoredConversation | undefined> =>
      selectOne.get({ userId, conversationId }),
    renameConversation: async (input: ConversationRename): Promise<StoredConversation | undefined> =>
      rename.get(input) ? selectOne.get(input) : undefined,
    deleteConversation: async (userId: number, conversationId: number) => deleteConversation(userId, conversationId)
  }
}
