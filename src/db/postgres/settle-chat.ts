import { DAY_MS, usageColumns } from '../storage-rules.js'
import type { ChatSettlement, SettledChat } from '../store.js'
import type { Db } from './connection.js'
import { retryingLosers } from './transaction.js'

type Amount = string
interface SettledRow {
  id: number
  conversation_id: number | null
  message: string
  response: string
  status: SettledChat['status']
  model: string | null
  upstream_model: string | null
  prompt_tokens: number | null
  cached_tokens: number | null
  completion_tokens: number | null
  usage_source: SettledChat['usageSource']
  cost: Amount
  created_at: Amount
  remaining_tokens: Amount | null
}

/** `spent` less what the settlement gives back while `period` is still `chatPeriod`, never below zero. */
const givenBack = (period: string, spent: string, chatPeriod: string) =>
  `case when ${period} = ${chatPeriod} then greatest(0, ${spent} - (settled.hold - settled.cost)) else ${spent} end`
const CHAT_DAY = `settled.created_at / ${DAY_MS}`
/** The UTC month (`spendPeriods`) of the chat's reservation. */
const CHAT_MONTH = `(select (extract(year from t) * 12 + extract(month from t) - 1)::integer
  from (select to_timestamp(settled.created_at / 1000.0) at time zone 'UTC' as t) as reserved_at)`

/**
 * A settlement as one statement (see reserve-chat.ts for why one): the conditional update of the pending chat, the
 * credit of the unused hold and its `settle` ledger row (only when something is unused, so a flat-priced chat takes no
 * lock on its user's row), what came back taken off the spend of the user and the key for the periods the chat was
 * reserved in (when those are still the stored ones), and the chat's numbers added to its user's daily usage under
 * its key. The key's row is given back to before the user's (`credited` waits for `key_returned`), the order in which
 * reservations lock them. The balance returned is the credited one (null with nothing to credit).
 *
 * Parameters: $1 chat, $2 status, $3 response, $4 upstream model, $5 prompt, $6 cached, $7 completion tokens, $8 usage
 * source, $9 cost, $10 now.
 */
const SETTLE = {
  name: 'settle_chat',
  text: `
  with settled as (
    update chats set status = $2, response = $3, upstream_model = $4, prompt_tokens = $5, cached_tokens = $6,
      completion_tokens = $7, usage_source = $8, cost = $9::bigint, updated_at = $10::bigint
    where id = $1 and status = 'pending'
    returning *
  ), key_returned as (
    update api_keys set
      day_spent = ${givenBack('api_keys.spend_day', 'api_keys.day_spent', CHAT_DAY)},
      month_spent = ${givenBack('api_keys.spend_month', 'api_keys.month_spent', CHAT_MONTH)}
    from settled where api_keys.id = settled.api_key_id and settled.hold > settled.cost
    returning api_keys.id
  ), credited as (
    update users set tokens = users.tokens + (settled.hold - settled.cost),
      month_spent = ${givenBack('users.spend_month', 'users.month_spent', CHAT_MONTH)}
    from settled where users.id = settled.user_id and settled.hold > settled.cost
      and (settled.api_key_id is null or exists (select 1 from key_returned))
    returning users.tokens
  ), recorded as (
    insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at)
    select settled.user_id, settled.hold - settled.cost, 'settle', settled.id, credited.tokens, $10::bigint
    from settled, credited
  ), counted as (
    insert into usage_daily (user_id, day, model, api_key_id, requests, prompt_tokens, cached_tokens,
      completion_tokens, credits)
    select user_id, created_at / ${DAY_MS}, coalesce(model, ''), coalesce(api_key_id, 0), 1, coalesce(prompt_tokens, 0),
      coalesce(cached_tokens, 0), coalesce(completion_tokens, 0), cost
    from settled
    on conflict (user_id, day, model, api_key_id) do update set
      requests = usage_daily.requests + 1,
      prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,
      cached_tokens = usage_daily.cached_tokens + excluded.cached_tokens,
      completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens,
      credits = usage_daily.credits + excluded.credits
  )
  select settled.id, settled.conversation_id, settled.message, settled.response, settled.status, settled.model,
    settled.upstream_model, settled.prompt_tokens, settled.cached_tokens, settled.completion_tokens,
    settled.usage_source, settled.cost::text, settled.created_at::text,
    (select tokens from credited)::text as remaining_tokens
  from settled`
}

export async function settleChat(db: Db, input: ChatSettlement): Promise<SettledChat | undefined> {
  const usage = usageColumns(input.usage)
  const values = [
    input.chatId,
    input.status,
    input.response,
    input.upstreamModel,
    usage.promptTokens,
    usage.cachedTokens,
    usage.completionTokens,
    usage.usageSource,
    input.cost,
    input.now
  ]
  const { rows } = await retryingLosers(() => db.$client.query<SettledRow>({ ...SETTLE, values }))
  const [row] = rows
  if (!row) return undefined
  return {
    id: row.id,
    conversationId: row.conversation_id,
    message: row.message,
    response: row.response,
    status: row.status,
    model: row.model,
    upstreamModel: row.upstream_model,
    promptTokens: row.prompt_tokens,
    cachedTokens: row.cached_tokens,
    completionTokens: row.completion_tokens,
    usageSource: row.usage_source,
    cost: Number(row.cost),
    createdAt: Number(row.created_at),
    remainingTokens: row.remaining_tokens === null ? undefined : Number(row.remaining_tokens)
  }
}
