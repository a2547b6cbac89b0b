import { refusalOf } from '../spend-limits.js'
import { spendPeriods } from '../storage-rules.js'
import type { ChatReservation, ReserveResult } from '../store.js'
import type { Db } from './connection.js'
import { spendStanding } from './spend-limits.js'
import { retryingLosers } from './transaction.js'

interface ReservedRow {
  chat_id: number | null
  conversation_id: number | null
  remaining_tokens: string | null
  conversation_found: boolean
}

/**
 * A reservation as one statement, and so one round trip and its own transaction: the conditional debit, the new
 * conversation or the touch of the named one, the pending chat, its `chat` ledger row, the hold counted into the spend
 * of the user and the API key, and the Idempotency-Key's bond to the chat, each a data-modifying CTE that writes only
 * when the debit returned a row. The user's row lock is then held from the debit to the commit alone, not across
 * further round trips: every chat of one user waits for that lock, so its length is what bounds one user's chats per
 * second.
 *
 * A message into a conversation locks the conversation's row first (`owned`, FOR UPDATE), as deleting it and removing
 * a failed one do, and the debit happens only if it is there: the conversation is either found and kept, or gone.
 * Under READ COMMITTED an UPDATE that waited for the row lock checks its WHERE again on the row version it got, so the
 * debit can never take the balance below zero, nor the user's month past either of their monthly limits (the month
 * spend is a column of the very row the debit locks), nor happen to an account whose deletion it waited for.
 *
 * A `/v1` call with a key locks the key's row first (`spending_key`, FOR UPDATE), which under READ COMMITTED waits for
 * any reservation holding it and then returns the key's latest version: the key's day and month spend it reads are
 * those every earlier reservation with the key committed, and stay so until this one commits. The debit happens only
 * if the hold fits those too, and the key's spend is counted (`key_counted`) only if the debit returned a row, on the
 * row this statement has locked: both or neither. The key is locked before the user, as settlements and refunds lock
 * them, so no two charging steps wait for each other's rows.
 *
 * A spend stored for an earlier period counts as zero, and the hold then starts the period's spend afresh.
 *
 * Parameters: $1 user, $2 conversation (or null), $3 hold, $4 new conversation's title, $5 now, $6 message, $7 lease
 * holder, $8 lease expiry, $9 model, $10 origin, $11 API key (or null), $12 UTC day, $13 UTC month (`spendPeriods`),
 * and with an Idempotency-Key $14 its user, $15 operation, $16 key.
 */
const inPeriod = (period: string, spent: string, current: string) =>
  `(case when ${period} = ${current} then ${spent} else 0 end)`
const fits = (limit: string, spent: string) => `(${limit} is null or ${spent} + $3::bigint <= ${limit})`
const counted = (period: string, spent: string, current: string) =>
  `${spent} = ${inPeriod(period, spent, current)} + $3::bigint, ${period} = ${current}`

const reservation = (bindKey: string) => `
  with spending_key as (
    select daily_limit, monthly_limit, ${inPeriod('spend_day', 'day_spent', '$12')} as day_spent,
      ${inPeriod('spend_month', 'month_spent', '$13')} as month_spent
    from api_keys where id = $11::integer for update
  ), owned as (
    select id from conversations where id = $2::integer and user_id = $1 for update
  ), debit as (
    update users set tokens = tokens - $3::bigint, ${counted('spend_month', 'month_spent', '$13')}
    where id = $1 and deleted_at is null and tokens >= $3::bigint
      and ${fits('monthly_limit', inPeriod('spend_month', 'month_spent', '$13'))}
      and ${fits('admin_monthly_limit', inPeriod('spend_month', 'month_spent', '$13'))}
      and ($2::integer is null or exists (select 1 from owned))
      and ($11::integer is null or exists (
        select 1 from spending_key
        where ${fits('daily_limit', 'day_spent')} and ${fits('monthly_limit', 'month_spent')}
      ))
    returning tokens
  ), key_counted as (
    update api_keys set ${counted('spend_day', 'day_spent', '$12')}, ${counted('spend_month', 'month_spent', '$13')}
    where id = $11::integer and exists (select 1 from debit)
  ), started as (
    insert into conversations (user_id, title, created_at, updated_at)
    select $1, $4, $5::bigint, $5::bigint from debit where $2::integer is null and $10 = 'chat'
    returning id
  ), touched as (
    update conversations set updated_at = $5::bigint
    where id = (select id from owned) and exists (select 1 from debit)
  ), chat as (
    insert into chats (user_id, conversation_id, origin, api_key_id, message, model, status, hold, cost, lease_holder,
      lease_expires_at, created_at, updated_at)
    select $1, conversation.id, $10, $11::integer, $6, $9, 'pending', $3::bigint, $3::bigint, $7, $8::bigint,
      $5::bigint, $5::bigint
    from debit left join (select id from started union all select id from owned) as conversation on true
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
    where idempotency_keys.user_id = $14 and idempotency_keys.operation = $15 and idempotency_keys.key = $16
  )`)
}

export async function reserveChat(db: Db, input: ChatReservation): Promise<ReserveResult> {
  const { day, month } = spendPeriods(input.now)
  const values: unknown[] = [
    input.userId,
    input.origin === 'chat' ? (input.conversationId ?? null) : null,
    input.hold,
    input.newConversationTitle,
    input.now,
    input.message,
    input.lease.holder,
    input.lease.expiresAt,
    input.model,
    input.origin,
    input.apiKeyId ?? null,
    day,
    month
  ]
  const key = input.idempotencyKey
  const statement = key
    ? { ...RESERVE_WITH_KEY, values: [...values, key.userId, key.operation, key.key] }
    : { ...RESERVE, values }
  const { rows } = await retryingLosers(() => db.$client.query<ReservedRow>(statement))
  const [row] = rows
  if (row?.chat_id != null && row.remaining_tokens != null) {
    return {
      reserved: true,
      chatId: row.chat_id,
      conversationId: row.conversation_id,
      remainingTokens: Number(row.remaining_tokens)
    }
  }
  if (!row?.conversation_found) return { reserved: false, reason: 'conversation_not_found' }
  // Read afresh: the statement's own snapshot may predate the reservations it waited behind.
  const standing = await spendStanding(db, input.userId, input.apiKeyId)
  return standing
    ? refusalOf(standing, input.hold, input.now)
    : { reserved: false, reason: 'insufficient_tokens', balance: 0 }
}
