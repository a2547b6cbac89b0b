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
import { writeTransaction } from './transaction.js'
import type { BatchedWrite } from './write-batch.js'

const columns = apiKeyColumns(apiKeys)

const read = (row: ApiKeyRow | undefined) => (row === undefined ? undefined : toStoredApiKey(row))

/** The key, and only the owner's when `ownerId` is given. */
const keyOf = (keyId: number, ownerId: number | undefined): SQL =>
  and(eq(apiKeys.id, keyId), ownerId === undefined ? undefined : eq(apiKeys.userId, ownerId))!

/** API keys, each write group-committed; a key is found by the hash of its secret (a unique index). */
export function apiKeyQueries(db: Db, batched: BatchedWrite) {
  const insert = db
    .insert(apiKeys)
    .values({
      userId: sql.placeholder('userId'),
      name: sql.placeholder('name'),
      secretHash: sql.placeholder('secretHash'),
      lastFour: sql.placeholder('lastFour'),
      models: sql.placeholder('models'),
      monthlyLimit: sql.placeholder('monthlyLimit'),
      dailyLimit: sql.placeholder('dailyLimit'),
      expiresAt: sql.placeholder('expiresAt'),
      createdAt: sql.placeholder('now')
    })
    .returning(columns)
    .prepare()

  const countLive = db
    .select({ live: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, sql.placeholder('userId')), isNull(apiKeys.revokedAt)))
    .prepare()

  const createApiKey = writeTransaction(db, (input: NewApiKey): StoredApiKey | undefined => {
    if (countLive.get(input)!.live >= input.liveKeyLimit) return undefined
    return toStoredApiKey(insert.get({ ...input, models: modelsText(input.models) })!)
  })

  const selectOfUser = db
    .select(columns)
    .from(apiKeys)
    .where(eq(apiKeys.userId, sql.placeholder('userId')))
    .orderBy(desc(apiKeys.id))
    .prepare()

  const selectHolder = db
    .select(keyHolderColumns(columns, users))
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(liveKeyWithSecret(apiKeys, users))
    .prepare()

  const touch = db
    .update(apiKeys)
    .set({ lastUsedAt: sql`${sql.placeholder('now')}` })
    .where(
      and(
        eq(apiKeys.id, sql.placeholder('keyId')),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql.placeholder('staleBefore')))
      )
    )
    .prepare()

  const findApiKey = async (keyId: number, ownerId: number | undefined): Promise<StoredApiKey | undefined> =>
    read(db.select(columns).from(apiKeys).where(keyOf(keyId, ownerId)).get())

  return {
    createApiKey: (input: NewApiKey) => batched(() => createApiKey(input)),
    listApiKeys: async (userId: number): Promise<StoredApiKey[]> => selectOfUser.all({ userId }).map(toStoredApiKey),
    findApiKey,
    updateApiKey: async (update: ApiKeyUpdate): Promise<StoredApiKey | undefined> => {
      const changes = apiKeyChanges(update)
      const unrevoked = and(keyOf(update.keyId, update.ownerId), isNull(apiKeys.revokedAt))
      // Nothing to change: the answer is the key as it stands, if it could have been changed.
      if (Object.keys(changes).length === 0) return read(db.select(columns).from(apiKeys).where(unrevoked).get())
      return batched(() => read(db.update(apiKeys).set(changes).where(unrevoked).returning(columns).get()))
    },
    revokeApiKey: (keyId: number, ownerId: number | undefined, now: number): Promise<StoredApiKey | undefined> =>
      batched(() =>
        read(
          db
            .update(apiKeys)
            .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now})` })
            .where(keyOf(keyId, ownerId))
            .returning(columns)
            .get()
        )
      ),
    findKeyHolder: async (secretHash: string, now: number): Promise<KeyHolder | undefined> => {
      const found = selectHolder.get({ secretHash, now })
      return found && { key: toStoredApiKey(found.key), user: found.user }
    },
    touchApiKey: async (keyId: number, now: number, staleBefore: number): Promise<void> => {
      await batched(() => touch.run({ keyId, now, staleBefore }))
    }
  }
}
