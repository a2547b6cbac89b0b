import { and, eq, ne, notExists } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { chats, conversations } from './schema.js'
import type { Tx } from './transaction.js'

/**
 * For a refund's transaction: removes a conversation that holds nothing but failed chats (see
 * sqlite/failed-conversations.ts), detaching the failed chats first. Its row is locked first, as a reservation into
 * it does: a message reserved into it either commits before, and keeps it, or waits and then finds it gone.
 */
export async function removeFailedConversation(tx: Tx, conversationId: number) {
  const [locked] = await tx
    .select({ id: conversations.id })
    .from(conversations)
    .where(eq(conversations.id, conversationId))
    .for('update')
  if (!locked) return
  const others = alias(chats, 'others')
  await tx
    .update(chats)
    .set({ conversationId: null })
    .where(
      and(
        eq(chats.conversationId, conversationId),
        notExists(
          tx
            .select({ id: others.id })
            .from(others)
            .where(and(eq(others.conversationId, conversationId), ne(others.status, 'failed')))
        )
      )
    )
  await tx
    .delete(conversations)
    .where(
      and(
        eq(conversations.id, conversationId),
        notExists(tx.select({ id: chats.id }).from(chats).where(eq(chats.conversationId, conversationId)))
      )
    )
}
