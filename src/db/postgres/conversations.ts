import { and, count, desc, eq, inArray, lt, or, sql } from 'drizzle-orm'
import type {
  ConversationPageQuery,
  ConversationRename,
  DeleteConversationResult,
  StoredConversation
} from '../store.js'
import { VISIBLE_STATUSES } from '../storage-rules.js'
import type { Db } from './connection.js'
import { chats, conversations } from './schema.js'
import { transaction } from './transaction.js'

const conversationColumns = {
  id: conversations.id,
  title: conversations.title,
  // Spelled out in full: drizzle leaves the outer column unqualified, and inside the subquery `id` would be chats.id.
  messageCount:
    sql<number>`(select count(*) from ${chats} where ${chats.conversationId} = "conversations"."id" and ${inArray(chats.status, [...VISIBLE_STATUSES])})`.mapWith(
      Number
    ),
  createdAt: conversations.createdAt,
  updatedAt: conversations.updatedAt
}

const owned = (userId: number, conversationId: number) =>
  and(eq(conversations.id, conversationId), eq(conversations.userId, userId))

export function conversationQueries(db: Db) {
  const findConversation = async (userId: number, conversationId: number): Promise<StoredConversation | undefined> => {
    const [conversation] = await db.select(conversationColumns).from(conversations).where(owned(userId, conversationId))
    return conversation
  }

  /**
   * A conversation with a reply still on its way is kept: its settlement needs the chat row. The conversation's row is
   * locked before the pending chats are counted, as a reservation into it locks it before adding one: a reservation
   * either commits first and is counted, or waits and then finds the conversation gone.
   */
  const deleteConversation = transaction(
    db,
    async (tx, userId: number, conversationId: number): Promise<DeleteConversationResult> => {
      const [found] = await tx
        .select({ id: conversations.id })
        .from(conversations)
        .where(owned(userId, conversationId))
        .for('update')
      if (!found) return 'not_found'
      const [{ pending }] = (await tx
        .select({ pending: count() })
        .from(chats)
        .where(and(eq(chats.conversationId, conversationId), eq(chats.status, 'pending')))) as [{ pending: number }]
      if (pending > 0) return 'busy'
      await tx.delete(conversations).where(owned(userId, conversationId))
      return 'deleted'
    }
  )

  return {
    listConversations: async ({ userId, after, limit }: ConversationPageQuery): Promise<StoredConversation[]> => {
      return db
        .select(conversationColumns)
        .from(conversations)
        .where(
          and(
            eq(conversations.userId, userId),
            after === undefined
              ? undefined
              : or(
                  lt(conversations.updatedAt, after.updatedAt),
                  and(eq(conversations.updatedAt, after.updatedAt), lt(conversations.id, after.id))
                )
          )
        )
        .orderBy(desc(conversations.updatedAt), desc(conversations.id))
        .limit(limit)
    },
    findConversation,
    renameConversation: async (input: ConversationRename): Promise<StoredConversation | undefined> => {
      const renamed = await db
        .update(conversations)
        .set({ title: input.title })
        .where(owned(input.userId, input.conversationId))
        .returning({ id: conversations.id })
      return renamed.length > 0 ? findConversation(input.userId, input.conversationId) : undefined
    },
    deleteConversation
  }
}
