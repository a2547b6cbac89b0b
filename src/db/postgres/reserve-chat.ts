import { eq } from 'drizzle-orm'
import type { ChatReservation, ReserveResult } from '../store.js'
import type { Db } from './connection.js'
import { users } from './schema.js'
import { retryingLosers } from './transaction.js'

interface ReservedRow {
  chat_id: number | null
  conversation_id: number | null
  remaining_tokens: string | null
  conversation_found: boolean
}

/**
 * A reservation as one statement, and so one round trip and its own transaction: the conditional debit, the new
 * conversation or the touch of the named one, the pending chat, its `chat` ledger row and the Idempotency-Key's bond
 * to the chat, each a data-modifying CTE that writes only when the debit returned a row. The user's row lock is then
 * held from the debit to the commit alone, not across further round trips: every chat of one user waits for that
 * lock, so its length is what bounds one user's chats per second.
 *
 * A message into a conversation locks the conversation's row first (`owned`, FOR UPDATE), as deleting it and removing
 * a failed one do, and the debit happens only if it is there: the conversation is either found and kept, or gone.
 * Under READ COMMITTED an UPDATE that waited for the row lock checks `tokens >= cost` again on the row it got, so the
 * debit can never take the balance below zero.
 *
 * Parameters: $1 user, $2 conversation (or null), $3 hold, $4 new conversation's title, $5 now, $6 message, $7 lease
 * holder, $8 lease expiry, $9 model, and with a key $10 its user, $11 operation, $12 key.
 */
const reservation = (bindKey: string) => `
  with owned as (
    select id from conversations where id = $2::integer and user_id = $1 for update
  ), debit as (
    update users set tokens = tokens - $3::bigint
    where id = $1 and tokens >= $3::bigint and ($2::integer is null or exists (select 1 from owned))
    returning tokens
  ), started as (
    insert into conversations (user_id, title, created_at, updated_at)
    select $1, $4, $5::bigint, $5::bigint from debit where $2::integer is null
    returning id
  ), touched as (
    update conversations set updated_at = $5::bigint
    where id = (select id from owned) and exists (select 1 from debit)
  ), chat as (
    insert into chats (user_id, conversation_id, message, model, status, hold, cost, lease_holder, lease_expires_at,
      created_at, updated_at)
    select $1, conversation.id, $6, $9, 'pending', $3::bigint, $3::bigint, $7, $8::bigint, $5::bigint, $5::bigint
    from debit, (select id from started union all select id from owned) as conversation
    returning id, conversation_id
  ), recorded as (
    insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at)
    select $1, -$3::bigint, 'chat', chat.id, debit.tokens, $5::bigint from chat, debit
  )${bindKey}
  select
    (select id from chat) as chat_id,
    (select conversation_id from chat) as conversation_id,
    (select tokens from debit)::text as remaining_tokens,
    ($2::integer is null or exists (select 1 from owned)) as conversation_found`

/** Named, so that each pooled connection parses and plans them once. */
const RESERVE = { name: 'reserve_chat', text: reservation('') }
const RESERVE_WITH_KEY = {
  name: 'reserve_chat_with_key',
  text: reservation(`, bound as (
    update idempotency_keys set chat_id = chat.id from chat
    where idempotency_keys.user_id = $10 and idempotency_keys.operation = $11 and idempotency_keys.key = $12
  )`)
}

export async function reserveChat(db: Db, input: ChatReservation): Promise<ReserveResult> {
  const values: unknown[] = [
    input.userId,
    input.conversationId ?? null,
    input.hold,
    input.newConversationTitle,
    input.now,
    input.message,
    input.lease.holder,
    input.lease.expiresAt,
    input.model
  ]
  const key = input.idempotencyKey
  const statement = key
    ? { ...RESERVE_WITH_KEY, values: [...values, key.userId, key.operation, key.key] }
    : { ...RESERVE, values }
  const { rows } = await retryingLosers(() => db.$client.query<ReservedRow>(statement))
  const [row] = rows
  if (row?.chat_id != null && row.conversation_id != null && row.remaining_tokens != null) {
    return {
      reserved: true,
      chatId: row.chat_id,
      conversationId: row.conversation_id,
      remainingTokens: Number(row.remaining_tokens)
    }
  }
  if (!row?.conversation_found) return { reserved: false, reason: 'conversation_not_found' }
  // Read afresh: the statement's own snapshot may predate the debit it waited behind.
  const [user] = await db.select({ tokens: users.tokens }).from(users).where(eq(users.id, input.userId))
  return { reserved: false, reason: 'insufficient_tokens', balance: user?.tokens ?? 0 }
}
