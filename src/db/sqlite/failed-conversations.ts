import { and, eq, ne, notExists, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import type { Db } from './connection.js'
import { chats, conversations } from './schema.js'

/**
 * For a refund's transaction: removes a conversation that holds nothing but failed chats, as after the failure of the
 * message that started it, so that no empty conversation is left behind. A chat answered or still on its way in it
 * keeps it: a message reserved into the new conversation before the first one's refund commits either comes first
 * and keeps the conversation, or comes after and finds it gone. The failed chats stay, detached from the
 * conversation (deleting it would cascade to them), with their failure reasons and ledger rows.
 */
export function removeFailedConversationQuery(db: Db) {
  const others = alias(chats, 'others')
  const onlyFailedChats = notExists(
    db
      .select({ id: others.id })
      .from(others)
      .where(and(eq(others.conversationId, sql.placeholder('conversationId')), ne(others.status, 'failed')))
  )

  const detachFailedChats = db
    .update(chats)
    .set({ conversationId: null })
    .where(and(eq(chats.conversationId, sql.placeholder('conversationId')), onlyFailedChats))
    .prepare()

  const deleteEmptyConversation = db
    .delete(conversations)
    .where(
      and(
        eq(conversations.id, sql.placeholder('conversationId')),
        notExists(
          db
            .select({ id: chats.id })
            .from(chats)
            .where(eq(chats.conversationId, sql.placeholder('conversationId')))
        )
      )
    )
    .prepare()

  return (conversationId: number) => {
    detachFailedChats.run({ conversationId })
    deleteEmptyConversation.run({ conversationId })
  }
}
