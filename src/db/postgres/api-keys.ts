import { and, count, desc, eq, isNull, lt, or, sql, type SQL } from 'drizzle-orm'
import {
  apiKeyChanges,
  apiKeyColumns,
  keyHolderColumns,
  liveKeyWithSecret,
  modelsText,
  toStoredApiKey,
  type ApiKeyRow
} from '../api-key-rows.js'
import type { ApiKeyUpdate, KeyHolder, NewApiKey, StoredApiKey } from '../store.js'
import type { Db } from './connection.js'
import { apiKeys, users } from './schema.js'
import { transaction } from './transaction.js'

const columns = apiKeyColumns(apiKeys)

const first = ([row]: ApiKeyRow[]) => (row === undefined ? undefined : toStoredApiKey(row))

/** The key, and only the owner's when `ownerId` is given. */
const keyOf = (keyId: number, ownerId: number | undefined): SQL =>
  and(eq(apiKeys.id, keyId), ownerId === undefined ? undefined : eq(apiKeys.userId, ownerId))!

/** API keys: each write but a creation one statement; a key is found by the hash of its secret (a unique index). */
export function apiKeyQueries(db: Db) {
  // The user's row is locked before their live keys are counted, so simultaneous creations count one after another.
  const createApiKey = transaction(db, async (tx, input: NewApiKey): Promise<StoredApiKey | undefined> => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId)).for('update')
    const [{ live }] = (await tx
      .select({ live: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, input.userId), isNull(apiKeys.revokedAt)))) as [{ live: number }]
    if (live >= input.liveKeyLimit) return undefined
    return first(
      await tx
        .insert(apiKeys)
        .values({
          userId: input.userId,
          name: input.name,
          secretHash: input.secretHash,
          lastFour: input.lastFour,
          models: modelsText(input.models),
          monthlyLimit: input.monthlyLimit,
          dailyLimit: input.dailyLimit,
          expiresAt: input.expiresAt,
          createdAt: input.now
        })
        .returning(columns)
    )
  })

  const findApiKey = async (keyId: number, ownerId: number | undefined): Promise<StoredApiKey | undefined> =>
    first(await db.select(columns).from(apiKeys).where(keyOf(keyId, ownerId)))

  // Named, as the session check is (sessions.ts): read on every /v1 call, parsed and planned once per connection.
  const keyHolder = db
    .select(keyHolderColumns(columns, users))
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(liveKeyWithSecret(apiKeys, users))
    .prepare('find_key_holder')

  return {
    createApiKey,
    listApiKeys: async (userId: number): Promise<StoredApiKey[]> =>
      (await db.select(columns).from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.id))).map(
        toStoredApiKey
      ),
    findApiKey,
    updateApiKey: async (update: ApiKeyUpdate): Promise<StoredApiKey | undefined> => {
      const changes = apiKeyChanges(update)
      const unrevoked = and(keyOf(update.keyId, update.ownerId), isNull(apiKeys.revokedAt))
      // Nothing to change: the answer is the key as it stands, if it could have been changed.
      if (Object.keys(changes).length === 0) return first(await db.select(columns).from(apiKeys).where(unrevoked))
      return first(await db.update(apiKeys).set(changes).where(unrevoked).returning(columns))
    },
    // A revocation waiting on another's row lock re-reads the row it committed: the first revocation's time stays.
    revokeApiKey: async (keyId: number, ownerId: number | undefined, now: number) =>
      first(
        await db
          .update(apiKeys)
          .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now})` })
          .where(keyOf(keyId, ownerId))
          .returning(columns)
      ),
    findKeyHolder: async (secretHash: string, now: number): Promise<KeyHolder | undefined> => {
      const [found] = await keyHolder.execute({ secretHash, now })
      return found && { key: toStoredApiKey(found.key), user: found.user }
    },
    touchApiKey: async (keyId: number, now: number, staleBefore: number): Promise<void> => {
      await db
        .update(apiKeys)
        .set({ lastUsedAt: now })
        .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore))))
    }
  }
}
