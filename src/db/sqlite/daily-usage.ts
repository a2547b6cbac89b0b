import { sql } from 'drizzle-orm'
import { DAY_MS } from '../storage-rules.js'
import type { Db } from './connection.js'
import { tokenAmount } from './ledger.js'
import { usageDaily } from './schema.js'

/** A settled chat's numbers, added to its user's row for the chat's model, UTC day and API key (0 for none). */
export interface DailyUsageEntry {
  userId: number
  apiKeyId: number | null
  model: string | null
  createdAt: number
  promptTokens: number | null
  cachedTokens: number | null
  completionTokens: number | null
  cost: number
}

/** Adds settled chats to the `usage_daily` rollup; call it inside the settlement's transaction. */
export function dailyUsageWrites(db: Db) {
  const added = (column: string) => sql.raw(`${column} + excluded.${column}`)
  const upsert = db
    .insert(usageDaily)
    .values({
      userId: sql.placeholder('userId'),
      day: sql.placeholder('day'),
      model: sql.placeholder('model'),
      apiKeyId: sql.placeholder('apiKeyId'),
      requests: 1,
      promptTokens: tokenAmount('promptTokens'),
      cachedTokens: tokenAmount('cachedTokens'),
      completionTokens: tokenAmount('completionTokens'),
      credits: tokenAmount('cost')
    })
    .onConflictDoUpdate({
      target: [usageDaily.userId, usageDaily.day, usageDaily.model, usageDaily.apiKeyId],
      set: {
        requests: sql`${usageDaily.requests} + 1`,
        promptTokens: added('prompt_tokens'),
        cachedTokens: added('cached_tokens'),
        completionTokens: added('completion_tokens'),
        credits: added('credits')
      }
    })
    .prepare()

  return (entry: DailyUsageEntry) =>
    upsert.run({
      userId: entry.userId,
      day: Math.floor(entry.createdAt / DAY_MS),
      model: entry.model ?? '',
      apiKeyId: entry.apiKeyId ?? 0,
      promptTokens: entry.promptTokens ?? 0,
      cachedTokens: entry.cachedTokens ?? 0,
      completionTokens: entry.completionTokens ?? 0,
      cost: entry.cost
    })
}
