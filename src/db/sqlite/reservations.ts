import { and, eq, sql } from 'drizzle-orm'
import { chats, conversations, idempotencyKeys, users } from './schema.js'
import type { ChatReservation, ReserveResult } from '../store.js'
import type { Db } from './connection.js'
import { keyScope } from './idempotency.js'
import { ledgerWrites, tokenAmount } from './ledger.js'
import type { BatchedWrite } from './write-batch.js'

/** The first charging step: debit the cost and record a pending chat (and its conversation), all or nothing. */
export function reservationQueries(db: Db, batched: BatchedWrite) {
  const ledger = ledgerWrites(db)

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
      status: 'pending',
      cost: tokenAmount('cost'),
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

  // A better-sqlite3 transaction function made once: drizzle's db.transaction() builds a transaction object, with a
  // query builder per table, on every call.
  const reserveChat = db.$client.transaction((input: ChatReservation): ReserveResult => {
    if (input.conversationId !== undefined && !selectOwnedConversation.get(input)) {
      return { reserved: false, reason: 'conversation_not_found' }
    }
    const remainingTokens = ledger.tryDebit(input.userId, input.cost)
    if (remainingTokens === undefined) {
      return { reserved: false, reason: 'insufficient_tokens', balance: selectTokens.get(input)?.tokens ?? 0 }
    }
    const conversationId = input.conversationId ?? insertConversation.get(input)!.id
    if (input.conversationId !== undefined) touchConversation.run({ conversationId, now: input.now })
    const chat = insertPendingChat.get({ ...input, conversationId })!
    ledger.record({
      userId: input.userId,
      delta: -input.cost,
      reason: 'chat',
      chatId: chat.id,
      balanceAfter: remainingTokens,
      now: input.now
    })
    if (input.idempotencyKey) bindIdempotencyKey.run({ ...input.idempotencyKey, chatId: chat.id })
    return { reserved: true, chatId: chat.id, conversationId, remainingTokens }
  }).immediate

  return { reserveChat: (input: ChatReservation) => batched(() => reserveChat(input)) }
}
