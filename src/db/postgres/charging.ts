import { and, eq, inArray, isNull, lte, type SQL } from 'drizzle-orm'
import type { ChatRefund, ChatReservation, ChatSettlement } from '../store.js'
import type { Db } from './connection.js'
import { removeFailedConversation } from './failed-conversations.js'
import { ledgerWrites } from './ledger.js'
import { chats, idempotencyKeys } from './schema.js'
import { reserveChat } from './reserve-chat.js'
import { settleChat } from './settle-chat.js'
import { giveBackSpend } from './spend-limits.js'
import { transaction } from './transaction.js'

/**
 * The three charging steps (see sqlite/charging.ts), each one transaction: reserve, then settle or refund. The debit is
 * one conditional UPDATE … WHERE tokens >= cost RETURNING; settle and refund are conditional on the chat being
 * pending, so each happens at most once, and never both.
 */
export function chargingQueries(db: Db) {
  /**
   * Fails the chat in one conditional UPDATE (false when it found nothing to fail: the chat was settled or refunded
   * already, or its lease renewed), then takes the hold off the spend it counted in (key, then user: the order every
   * charging step locks them in), credits it back, releases the key and removes an empty conversation.
   */
  const refundWhere = (condition: (input: ChatRefund) => SQL | undefined) =>
    transaction(db, async (tx, input: ChatRefund): Promise<boolean> => {
      const [failed] = await tx
        .update(chats)
        .set({ status: 'failed', failureReason: input.reason, updatedAt: input.now })
        .where(condition(input))
        .returning({
          userId: chats.userId,
          hold: chats.hold,
          conversationId: chats.conversationId,
          apiKeyId: chats.apiKeyId,
          createdAt: chats.createdAt
        })
      if (!failed) return false
      await giveBackSpend(tx, failed, failed.hold)
      await ledgerWrites.credit(tx, {
        userId: failed.userId,
        amount: failed.hold,
        reason: 'refund',
        chatId: input.chatId,
        now: input.now
      })
      await tx
        .delete(idempotencyKeys)
        .where(and(eq(idempotencyKeys.chatId, input.chatId), isNull(idempotencyKeys.responseStatus)))
      if (failed.conversationId !== null) await removeFailedConversation(tx, failed.conversationId)
      return true
    })
  const pending = ({ chatId }: ChatRefund) => and(eq(chats.id, chatId), eq(chats.status, 'pending'))
  const refundChat = refundWhere(pending)
  const refundExpiredChat = refundWhere((input) => and(pending(input), lte(chats.leaseExpiresAt, input.now)))

  return {
    reserveChat: (input: ChatReservation) => reserveChat(db, input),
    settleChat: (input: ChatSettlement) => settleChat(db, input),
    refundChat,
    renewChatLeases: async (holder: string, chatIds: number[], until: number): Promise<number> => {
      if (chatIds.length === 0) return 0
      const renewed = await db
        .update(chats)
        .set({ leaseExpiresAt: until })
        .where(and(inArray(chats.id, chatIds), eq(chats.leaseHolder, holder), eq(chats.status, 'pending')))
        .returning({ id: chats.id })
      return renewed.length
    },
    refundExpiredChats: async (reason: string, now: number): Promise<number[]> => {
      const expired = await db
        .select({ id: chats.id })
        .from(chats)
        .where(and(eq(chats.status, 'pending'), lte(chats.leaseExpiresAt, now)))
      const refunded: number[] = []
      for (const { id: chatId } of expired) {
        if (await refundExpiredChat({ chatId, reason, now })) refunded.push(chatId)
      }
      return refunded
    }
  }
}
