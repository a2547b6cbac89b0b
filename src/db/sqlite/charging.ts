import { and, eq, isNull, lte, sql } from 'drizzle-orm'
import type { ChatRefund, ChatReservation, ChatSettlement, ReserveResult, SettledChat } from '../store.js'
import { storedChatColumns } from './chat-history.js'
import { dailyUsageWrites } from './daily-usage.js'
import { usageColumns } from '../storage-rules.js'
import type { Db } from './connection.js'
import { keyScope } from './idempotency.js'
import { tokenAmount, type LedgerWrites } from './ledger.js'
import { removeFailedConversationQuery } from './failed-conversations.js'
import { limitRemainders, refusalOf } from '../spend-limits.js'
import { spendWrites } from './spend-limits.js'
import { chats, conversations, idempotencyKeys, users } from './schema.js'
import { writeTransaction } from './transaction.js'
import type { BatchedWrite } from './write-batch.js'

/**
 * The three charging steps, each one transaction, group-committed: reserve (debit the cost, record a pending chat and
 * its conversation, bind the request's Idempotency-Key), then settle (the reply is stored and the cost kept) or refund
 * (the cost credited back and the key released). Settle and refund act only on a pending chat, so each happens at
 * most once, and never both. A pending chat carries the lease of the instance whose reply it waits for; a chat whose
 * lease expired is refunded by whichever instance finds it first, and a refund of an expired lease is conditional on it
 * still being expired, so that a renewal racing it either comes first and keeps the chat, or finds it refunded.
 */
export function chargingQueries(db: Db, ledger: LedgerWrites, batched: BatchedWrite) {
  const selectOwnedConversation = db
    .select({ id: conversations.id })
    .from(conversations)
    .where(
      and(eq(conversations.id, sql.placeholder('conversationId')), eq(conversations.userId, sql.placeholder('userId')))
    )
    .prepare()

  const touchConversation = db
    .update(conversations)
    .set({ updatedAt: sql`${sql.placeholder('now')}` })
    .where(eq(conversations.id, sql.placeholder('conversationId')))
    .prepare()

  const insertConversation = db
    .insert(conversations)
    .values({
      userId: sql.placeholder('userId'),
      title: sql.placeholder('newConversationTitle'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now')
    })
    .returning({ id: conversations.id })
    .prepare()

  const insertPendingChat = db
    .insert(chats)
    .values({
      userId: sql.placeholder('userId'),
      conversationId: sql.placeholder('conversationId'),
      message: sql.placeholder('message'),
      model: sql.placeholder('model'),
      origin: sql.placeholder('origin'),
      apiKeyId: sql.placeholder('apiKeyId'),
      status: 'pending',
      hold: tokenAmount('hold'),
      cost: tokenAmount('hold'),
      leaseHolder: sql.placeholder('leaseHolder'),
      leaseExpiresAt: sql.placeholder('leaseExpiresAt'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now')
    })
    .returning({ id: chats.id })
    .prepare()

  const bindIdempotencyKey = db
    .update(idempotencyKeys)
    .set({ chatId: sql`${sql.placeholder('chatId')}` })
    .where(keyScope)
    .prepare()

  const selectTokens = db
    .select({ tokens: users.tokens })
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const value = (name: string) => sql`${sql.placeholder(name)}`
  const settlePendingChat = db
    .update(chats)
    .set({
      status: value('status'),
      response: value('response'),
      upstreamModel: value('upstreamModel'),
      promptTokens: value('promptTokens'),
      cachedTokens: value('cachedTokens'),
      completionTokens: value('completionTokens'),
      usageSource: value('usageSource'),
      cost: tokenAmount('cost'),
      updatedAt: value('now')
    })
    .where(and(eq(chats.id, sql.placeholder('chatId')), eq(chats.status, 'pending')))
    .returning({ ...storedChatColumns, userId: chats.userId, hold: chats.hold, apiKeyId: chats.apiKeyId })
    .prepare()

  const pendingChat = and(eq(chats.id, sql.placeholder('chatId')), eq(chats.status, 'pending'))
  const failChat = (condition: typeof pendingChat) =>
    db
      .update(chats)
      .set({
        status: 'failed',
        failureReason: sql`${sql.placeholder('reason')}`,
        updatedAt: sql`${sql.placeholder('now')}`
      })
      .where(condition)
      .returning({
        userId: chats.userId,
        hold: chats.hold,
        conversationId: chats.conversationId,
        apiKeyId: chats.apiKeyId,
        createdAt: chats.createdAt
      })
      .prepare()
  const failPendingChat = failChat(pendingChat)
  const failExpiredChat = failChat(and(pendingChat, lte(chats.leaseExpiresAt, sql.placeholder('now'))))

  const releaseIdempotencyKey = db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.chatId, sql.placeholder('chatId')), isNull(idempotencyKeys.responseStatus)))
    .prepare()

  const selectExpiredChatIds = db
    .select({ id: chats.id })
    .from(chats)
    .where(and(eq(chats.status, 'pending'), lte(chats.leaseExpiresAt, sql.placeholder('now'))))
    .prepare()

  const removeFailedConversation = removeFailedConversationQuery(db)
  const addToDailyUsage = dailyUsageWrites(db)
  const spend = spendWrites(db)

  /** A new conversation, the touch of the owned one, or none for a `/v1` call. */
  const conversationOf = (input: ChatReservation): number | null => {
    if (input.origin === 'api') return null
    if (input.conversationId === undefined) return insertConversation.get(input)!.id
    touchConversation.run({ conversationId: input.conversationId, now: input.now })
    return input.conversationId
  }

  // The write transaction holds SQLite's write lock from its first read: the limits read here are the ones counted.
  const reserveChat = writeTransaction(db, (input: ChatReservation): ReserveResult => {
    if (input.origin === 'chat' && input.conversationId !== undefined && !selectOwnedConversation.get(input)) {
      return { reserved: false, reason: 'conversation_not_found' }
    }
    const standing = spend.standing(input.userId, input.apiKeyId)
    const refused = (): ReserveResult =>
      standing
        ? refusalOf(standing, input.hold, input.now)
        : { reserved: false, reason: 'insufficient_tokens', balance: 0 }
    if (!standing || limitRemainders(standing, input.now).some((limit) => limit.remaining < input.hold)) {
      return refused()
    }
    const remainingTokens = ledger.tryDebit(input.userId, input.hold)
    if (remainingTokens === undefined) return refused()
    const conversationId = conversationOf(input)
    const apiKeyId = input.apiKeyId ?? null
    spend.count({ userId: input.userId, apiKeyId, createdAt: input.now }, input.hold)
    const chat = insertPendingChat.get({
      ...input,
      conversationId,
      apiKeyId,
      leaseHolder: input.lease.holder,
      leaseExpiresAt: input.lease.expiresAt
    })!
    ledger.record({
      userId: input.userId,
      delta: -input.hold,
      reason: 'chat',
      chatId: chat.id,
      balanceAfter: remainingTokens,
      now: input.now
    })
    if (input.idempotencyKey) bindIdempotencyKey.run({ ...input.idempotencyKey, chatId: chat.id })
    return { reserved: true, chatId: chat.id, conversationId, remainingTokens }
  })

  const settleChat = writeTransaction(db, (input: ChatSettlement): SettledChat | undefined => {
    const settled = settlePendingChat.get({ ...input, ...usageColumns(input.usage) })
    if (!settled) return undefined
    const { userId, hold, apiKeyId, ...chat } = settled
    addToDailyUsage({ ...chat, userId, apiKeyId })
    const unused = hold - chat.cost
    if (unused === 0) return { ...chat, remainingTokens: undefined }
    spend.giveBack({ userId, apiKeyId, createdAt: chat.createdAt }, unused)
    ledger.credit({ userId, amount: unused, reason: 'settle', chatId: chat.id, now: input.now })
    return { ...chat, remainingTokens: selectTokens.get({ userId })!.tokens }
  })

  /**
   * Returns false when `fail` found nothing to fail (the chat was settled or refunded already, or its lease was
   * renewed), so a refund never happens twice.
   */
  const refundWith = (fail: typeof failPendingChat) =>
    writeTransaction(db, (input: ChatRefund): boolean => {
      const failed = fail.get(input)
      if (!failed) return false
      spend.giveBack(failed, failed.hold)
      ledger.credit({
        userId: failed.userId,
        amount: failed.hold,
        reason: 'refund',
        chatId: input.chatId,
        now: input.now
      })
      releaseIdempotencyKey.run(input)
      if (failed.conversationId !== null) removeFailedConversation(failed.conversationId)
      return true
    })
  const refundChat = refundWith(failPendingChat)
  const refundExpiredChat = refundWith(failExpiredChat)

  return {
    reserveChat: (input: ChatReservation) => batched(() => reserveChat(input)),
    settleChat: (input: ChatSettlement) => batched(() => settleChat(input)),
    refundChat: (input: ChatRefund) => batched(() => refundChat(input)),
    refundExpiredChats: async (reason: string, now: number) => {
      const refunded = await Promise.all(
        selectExpiredChatIds
          .all({ now })
          .map(({ id: chatId }) => batched(() => (refundExpiredChat({ chatId, reason, now }) ? chatId : undefined)))
      )
      return refunded.filter((chatId) => chatId !== undefined)
    }
  }
}
