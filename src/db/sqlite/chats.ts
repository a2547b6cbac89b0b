import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm'
import { chats, idempotencyKeys } from './schema.js'
import type { ChatPageQuery, ChatRefund, ChatSettlement, ContextQuery, ContextTurn, StoredChat } from '../store.js'
import type { Db } from './connection.js'
import { ledgerWrites } from './ledger.js'
import { prepareRawSelect } from './raw-select.js'
import { reservationQueries } from './reservations.js'
import type { BatchedWrite } from './write-batch.js'

/** Chats a user can see: answered in full, or in part before the stream broke (both were charged). */
export const VISIBLE_STATUSES = ['completed', 'incomplete'] as const

export const storedChatColumns = {
  id: chats.id,
  conversationId: chats.conversationId,
  message: chats.message,
  response: sql<string>`${chats.response}`,
  status: sql<StoredChat['status']>`${chats.status}`,
  model: chats.model,
  promptTokens: chats.promptTokens,
  completionTokens: chats.completionTokens,
  cost: chats.cost,
  createdAt: chats.createdAt
}

const visible = inArray(chats.status, [...VISIBLE_STATUSES])

export function chatQueries(db: Db, batched: BatchedWrite) {
  const ledger = ledgerWrites(db)

  const settlePendingChat = db
    .update(chats)
    .set({
      status: sql`${sql.placeholder('status')}`,
      response: sql`${sql.placeholder('response')}`,
      model: sql`${sql.placeholder('model')}`,
      promptTokens: sql`${sql.placeholder('promptTokens')}`,
      completionTokens: sql`${sql.placeholder('completionTokens')}`,
      updatedAt: sql`${sql.placeholder('now')}`
    })
    .where(and(eq(chats.id, sql.placeholder('chatId')), eq(chats.status, 'pending')))
    .returning(storedChatColumns)
    .prepare()

  const failPendingChat = db
    .update(chats)
    .set({
      status: 'failed',
      failureReason: sql`${sql.placeholder('reason')}`,
      updatedAt: sql`${sql.placeholder('now')}`
    })
    .where(and(eq(chats.id, sql.placeholder('chatId')), eq(chats.status, 'pending')))
    .returning({ userId: chats.userId, cost: chats.cost })
    .prepare()

  const releaseIdempotencyKey = db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.chatId, sql.placeholder('chatId')), isNull(idempotencyKeys.responseStatus)))
    .prepare()

  const selectPendingChatIds = db
    .select({ id: chats.id })
    .from(chats)
    .where(and(eq(chats.status, 'pending'), lt(chats.createdAt, sql.placeholder('reservedBefore'))))
    .prepare()

  const selectContext = db
    .select({ message: chats.message, response: sql<string>`${chats.response}` })
    .from(chats)
    .where(
      and(
        eq(chats.conversationId, sql.placeholder('conversationId')),
        lt(chats.id, sql.placeholder('beforeChatId')),
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
      .where(and(eq(chats.userId, sql.placeholder('userId')), lt(chats.id, sql.placeholder('beforeId')), visible))
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
          visible
        )
      )
      .orderBy(desc(chats.id))
      .limit(sql.placeholder('limit'))
  )

  const selectChat = db
    .select(storedChatColumns)
    .from(chats)
    .where(and(eq(chats.id, sql.placeholder('chatId')), eq(chats.userId, sql.placeholder('userId')), visible))
    .prepare()

  const settleChat = (input: ChatSettlement): StoredChat => {
    const settled = settlePendingChat.get(input)
    if (!settled) throw new Error(`chat ${input.chatId} is no longer pending and cannot be settled`)
    return settled
  }

  // A better-sqlite3 transaction function made once: drizzle's db.transaction() builds a transaction object, with a
  // query builder per table, on every call.
  /** Returns false when the chat was not pending (already settled or refunded), so a refund never happens twice. */
  const refundChat = db.$client.transaction((input: ChatRefund): boolean => {
    const failed = failPendingChat.get(input)
    if (!failed) return false
    ledger.credit({
      userId: failed.userId,
      amount: failed.cost,
      reason: 'refund',
      chatId: input.chatId,
      now: input.now
    })
    releaseIdempotencyKey.run(input)
    return true
  }).immediate

  return {
    ...reservationQueries(db, batched),
    loadConversationContext: async (query: ContextQuery): Promise<ContextTurn[]> => selectContext.all(query).reverse(),
    settleChat: (input: ChatSettlement) => batched(() => settleChat(input)),
    refundChat: (input: ChatRefund) => batched(() => refundChat(input)),
    refundPendingChats: async (reservedBefore: number, now: number) =>
      selectPendingChatIds
        .all({ reservedBefore })
        .filter(({ id }) => refundChat({ chatId: id, reason: 'no reply before the time limit or a restart', now }))
        .length,
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
