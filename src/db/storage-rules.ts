import type { ChatUsage } from './store.js'

/**
 * What every storage implementation stores and decides alike, whatever its dialect: the values of the status and
 * reason columns, which chats users see, the largest balance, and the bound of a username-key prefix range.
 */
export const CHAT_STATUSES = ['pending', 'completed', 'incomplete', 'failed'] as const

/** A message of a conversation, or a stateless `/v1/chat/completions` call (never in conversations or history). */
export const CHAT_ORIGINS = ['chat', 'api'] as const

/**
 * `chat` holds a message's worst-case cost, `settle` credits back what its reply did not use, `refund` credits the whole
 * hold of a message that got no reply; `grant` and `debit` are an administrator's adjustments (`actor_id` and `note`
 * say who made them and why).
 */
export const LEDGER_REASONS = ['signup', 'chat', 'settle', 'refund', 'grant', 'debit'] as const

/**
 * Where a settled chat's token counts came from: the provider's report, an estimate with a tokenizer (the provider
 * reported none, or the reply broke off), or nowhere (the model has no per-token price, so nothing was counted).
 */
export const USAGE_SOURCES = ['provider', 'estimated', 'none'] as const

/** What a ledger row shows of the chat it belongs to, once the chat has settled: also the API key that made it. */
export const SETTLED_CHARGE_FIELDS = [
  'model',
  'apiKeyId',
  'cost',
  'promptTokens',
  'cachedTokens',
  'completionTokens',
  'usageSource'
] as const

/** Those fields of a dialect's chat columns, for a select. */
export function settledChargeColumns<Columns extends Record<(typeof SETTLED_CHARGE_FIELDS)[number], unknown>>(
  columns: Columns
): Pick<Columns, (typeof SETTLED_CHARGE_FIELDS)[number]> {
  return Object.fromEntries(SETTLED_CHARGE_FIELDS.map((field) => [field, columns[field]])) as Pick<
    Columns,
    (typeof SETTLED_CHARGE_FIELDS)[number]
  >
}

/** A settlement's usage as the chat's columns store it: no counts (nulls) when nothing was counted. */
export function usageColumns(usage: ChatUsage) {
  const counted = usage.source === 'none' ? undefined : usage
  return {
    usageSource: usage.source,
    promptTokens: counted?.promptTokens ?? null,
    cachedTokens: counted?.cachedTokens ?? null,
    completionTokens: counted?.completionTokens ?? null
  }
}

/** Usage is rolled up per user, model and UTC day: a day is `floor(epoch milliseconds / this)`. */
export const DAY_MS = 86_400_000

/**
 * The spend limits a hold must fit, in the order a refusal names the first of equal remainders: an API key's daily and
 * monthly limits, the user's own monthly limit, an administrator's monthly limit on the user.
 */
export const SPEND_LIMITS = ['key_daily', 'key_monthly', 'user_monthly', 'admin_monthly'] as const

/**
 * The UTC periods spend is counted in at `now`: the day (as `DAY_MS` numbers it) and the calendar month (year × 12 +
 * month index), each with the epoch milliseconds at which the next one starts.
 */
export function spendPeriods(now: number) {
  const date = new Date(now)
  const year = date.getUTCFullYear()
  const monthIndex = date.getUTCMonth()
  const day = Math.floor(now / DAY_MS)
  return {
    day,
    dayResetAt: (day + 1) * DAY_MS,
    month: year * 12 + monthIndex,
    monthResetAt: Date.UTC(year, monthIndex + 1, 1)
  }
}

/** Chats a user can see: answered in full, or in part before the stream broke (both were charged). */
export const VISIBLE_STATUSES = ['completed', 'incomplete'] as const

/** PostgreSQL numbers rows with `serial` (int4): no row has a larger id, and a larger one is no valid parameter there. */
export const MAX_ROW_ID = 2_147_483_647

/** Balances are read back as JavaScript numbers, which stay exact only up to this. */
export const MAX_BALANCE = Number.MAX_SAFE_INTEGER

/**
 * No username character sorts after U+10FFFF in code point order: every key that starts with a prefix lies in
 * [prefix, prefix + this), which a unique index answers as a range.
 */
export const AFTER_EVERY_CHARACTER = String.fromCodePoint(0x10ffff)

/** One ledger row to write: a balance change and what it leaves. */
export type LedgerEntry = {
  userId: number
  delta: number
  reason: (typeof LEDGER_REASONS)[number]
  chatId: number | null
  actorId?: number | null
  note?: string | null
  balanceAfter: number
  now: number
}

/**
 * The username and key a deleted account's tombstone takes: `:` is no username character (auth/schemas.ts), so no
 * account can hold it, however it was named, and the name the account had is free again.
 */
export const deletedAccountName = (userId: number) => `deleted:${userId}`

/**
 * A deleted account's password hash. Not a PHC string, so no password could verify against it; the reads that hand
 * out hashes (the login look-up, `findPasswordHash`) skip deleted accounts before any verification is tried.
 */
export const NO_PASSWORD_HASH = '!'
