import { and, eq, gt, isNull, or, sql, type Column, type SQL } from 'drizzle-orm'
import type { ApiKeyUpdate, StoredApiKey } from './store.js'

/** The columns an API key is read from, the same in every dialect's table. */
const API_KEY_FIELDS = [
  'id',
  'userId',
  'name',
  'lastFour',
  'models',
  'monthlyLimit',
  'dailyLimit',
  'spendMonth',
  'monthSpent',
  'spendDay',
  'daySpent',
  'createdAt',
  'lastUsedAt',
  'expiresAt',
  'revokedAt'
] as const

type ApiKeyField = (typeof API_KEY_FIELDS)[number]

/** Those columns of a dialect's `api_keys` table, for a select or a returning clause. */
export function apiKeyColumns<Columns extends Record<ApiKeyField, unknown>>(
  table: Columns
): Pick<Columns, ApiKeyField> {
  return Object.fromEntries(API_KEY_FIELDS.map((field) => [field, table[field]])) as Pick<Columns, ApiKeyField>
}

/** What a key's holder is read as: the key's columns and who holds it. */
export function keyHolderColumns<Key, Id, Username, IsAdmin>(
  key: Key,
  users: { id: Id; username: Username; isAdmin: IsAdmin }
) {
  return { key, user: { id: users.id, username: users.username, isAdmin: users.isAdmin } }
}

/**
 * The key whose secret hashes to the `secretHash` placeholder, unrevoked and unexpired at the `now` placeholder, held
 * by an active user (joined as `users`): the lookup of every `/v1` call, prepared once by each dialect.
 */
export function liveKeyWithSecret(
  apiKeys: { secretHash: Column; revokedAt: Column; expiresAt: Column },
  users: { isActive: Column }
): SQL {
  return and(
    eq(apiKeys.secretHash, sql.placeholder('secretHash')),
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql.placeholder('now'))),
    eq(users.isActive, true)
  )!
}

/** A row as those columns read it: the models are JSON text, the spends two pairs of columns. */
export type ApiKeyRow = Omit<StoredApiKey, 'models' | 'month' | 'day'> & {
  models: string | null
  spendMonth: number
  monthSpent: number
  spendDay: number
  daySpent: number
}

export function toStoredApiKey({
  models,
  spendMonth,
  monthSpent,
  spendDay,
  daySpent,
  ...key
}: ApiKeyRow): StoredApiKey {
  return {
    ...key,
    models: models === null ? null : (JSON.parse(models) as string[]),
    month: { period: spendMonth, spent: monthSpent },
    day: { period: spendDay, spent: daySpent }
  }
}

/** The models column's value: a JSON array of model ids, or null for every model. */
export function modelsText(models: string[] | null): string | null {
  return models === null ? null : JSON.stringify(models)
}

/** The columns an update names, and nothing else. */
export function apiKeyChanges({ name, models, monthlyLimit, dailyLimit }: ApiKeyUpdate) {
  return Object.fromEntries(
    Object.entries({
      name,
      models: models === undefined ? undefined : modelsText(models),
      monthlyLimit,
      dailyLimit
    }).filter(([, value]) => value !== undefined)
  ) as { name?: string; models?: string | null; monthlyLimit?: number | null; dailyLimit?: number | null }
}
