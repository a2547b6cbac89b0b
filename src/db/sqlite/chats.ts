import { and, desc, eq, gte, lt, sql } from 'drizzle-orm'
import { chats, ledger, users } from '../schema.js'
import type { ChatPageQuery, ChatRefund, ChatReservation, ChatSettlement, ReserveResult, StoredChat } from '../store.js'
import type { Db } from './connection.js'

const storedChatColumns = {
  id: chats.id,
  message: chats.message,
  response: sql<string>`${chats.response}`,
  cost: chats.cost,
  createdAt: chats.createdAt
}

export function chatQueries(db: Db) {
  const debitBalance = db
    .update(users)
    .set({ tokens: sql`${users.tokens} - ${sql.placeholder('cost')}` })
    .where(and(eq(users.id, sql.placeholder('userId')), gte(users.tokens, sql.placeholder('cost'))))
    .returning({ tokens: users.tokens })
    .prepare()

  const creditBalance = db
    .update(users)
    .set({ tokens: sql`${users.tokens} + ${sql.placeholder('amount')}` })
    .where(eq(users.id, sql.placeholder('userId')))
    .returning({ tokens: users.tokens })
    .prepare()

  const selectTokens = db
    .select({ tokens: users.tokens })
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const insertPendingChat = db
    .insert(chats)
    .values({
      userId: sql.placeholder('userId'),
      message: sql.placeholder('message'),
      status: 'pending',
      cost: sql.placeholder('cost'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now')
    })
    .returning({ id: chats.id })
    .prepare()

  const insertLedgerEntry = db
    .insert(ledger)
    .values({
      userId: sql.placeholder('userId'),
      delta: sql.placeholder('delta'),
      reason: sql.placeholder('reason'),
      chatId: sql.placeholder('chatId'),
      balanceAfter: sql.placeholder('balanceAfter'),
      createdAt: sql.placeholder('now')
    })
    .prepare()

  const completePendingChat = db
    .update(chats)
    .set({
      status: 'completed',
      response: sql`${sql.placeholder('response')}`,
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

  const selectPendingChatIds = db.select({ id: chats.id }).from(chats).where(eq(chats.status, 'pending')).prepare()

  const selectCompletedChats = db
    .select(storedChatColumns)
    .from(chats)
    .where(
      and(
        eq(chats.userId, sql.placeholder('userId')),
        eq(chats.status, 'completed'),
        lt(chats.id, sql.placeholder('beforeId'))
      )
    )
    .orderBy(desc(chats.id))
    .limit(sql.placeholder('limit'))
    .prepare()

  const selectCompletedChat = db
    .select(storedChatColumns)
    .from(chats)
    .where(
      and(
        eq(chats.id, sql.placeholder('chatId')),
        eq(chats.userId, sql.placeholder('userId')),
        eq(chats.status, 'completed')
      )
    )
    .prepare()

  // better-sqlite3's own transaction functions, made once: drizzle's db.transaction() builds a new transaction object,
  // with a query builder per table, on every call.
  const reserveChat = db.$client.transaction((input: ChatReservation): ReserveResult => {
    const debited = debitBalance.get(input)
    if (!debited) return { reserved: false, balance: selectTokens.get(input)?.tokens ?? 0 }
    const chat = insertPendingChat.get(input)!
    insertLedgerEntry.run({
      userId: input.userId,
      delta: -input.cost,
      reason: 'chat',
      chatId: chat.id,
      balanceAfter: debited.tokens,
      now: input.now
    })
    return { reserved: true, chatId: chat.id, remainingTokens: debited.tokens }
  }).immediate

  const settleChat = (input: ChatSettlement): StoredChat => {
    const settled = completePendingChat.get(input)
    if (!settled) throw new Error(`chat ${input.chatId} is no longer pending and cannot be settled`)
    return settled
  }

  /** Returns false when the chat was not pending (already settled or refunded), so a refund never happens twice. */
  const refundChat = db.$client.transaction((input: ChatRefund): boolean => {
    const failed = failPendingChat.get(input)
    if (!failed) return false
    const credited = creditBalance.get({ userId: failed.userId, amount: failed.cost })!
    insertLedgerEntry.run({
      userId: failed.userId,
      delta: failed.cost,
      reason: 'refund',
      chatId: input.chatId,
      balanceAfter: credited.tokens,
      now: input.now
    })
    return true
  }).immediate

  return {
    reserveChat: async (input: ChatReservation) => reserveChat(input),
    settleChat: async (input: ChatSettlement) => settleChat(input),
    refundChat: async (input: ChatRefund) => {
      refundChat(input)
    },
    refundPendingChats: async (now: number) =>
      selectPendingChatIds.all().filter(({ id }) => refundChat({ chatId: id, reason: 'interrupted by a restart', now }))
        .length,
    listChats: async ({ userId, beforeId, limit }: ChatPageQuery): Promise<StoredChat[]> =>
      selectCompletedChats.all({ userId, beforeId: beforeId ?? Number.MAX_SAFE_INTEGER, limit }),
    findChat: async (userId: number, chatId: number): Promise<StoredChat | undefined> =>
      selectCompletedChat.get({ userId, chatId })
  }
}
