import type { AccountStore, ApiKeyStore, KeyHolder, StoredApiKey } from '../../db/store.js'
import { spendPeriods } from '../../db/storage-rules.js'
import type { ModelCatalog } from '../../pricing/models.js'
import {
  ApiKeyNotFoundError,
  ApiKeyRevokedError,
  modelNotAllowed,
  TooManyApiKeysError,
  validationFailed
} from '../../problems/errors.js'
import { accountIdOf } from '../admin/service.js'
import { writeOrRetryLater, type WriteLog } from '../common/write-later.js'
import type { ApiKey, ApiKeyChange, ApiKeyCreation } from './schemas.js'
import { hashKeySecret, KEY_SECRET_PREFIX, newKeySecret } from './secrets.js'

export { KEY_SECRET_PREFIX, keyHashKeyFrom } from './secrets.js'

/** The most keys a user may hold that are not revoked (expired ones count until revoked). */
export const LIVE_KEY_LIMIT = 100

/** A use is recorded at most this often per key: the list shows the last use to the minute. */
const LAST_USE_RESOLUTION_MS = 60_000

export interface KeyContext {
  /** The HMAC key secrets are hashed with (`keyHashKeyFrom`). */
  hashKey: Buffer
  models: ModelCatalog
}

/** Makes a key and returns it with its secret, the only time the secret is shown; only its HMAC is stored. */
export async function createKey(store: ApiKeyStore, context: KeyContext, userId: number, request: ApiKeyCreation) {
  const now = Date.now()
  const secret = newKeySecret()
  const key = await store.createApiKey({
    userId,
    name: request.name.trim(),
    secretHash: hashKeySecret(secret, context.hashKey),
    lastFour: secret.slice(-4),
    models: offeredModels(context.models, request.models ?? null),
    monthlyLimit: request.monthly_limit ?? null,
    dailyLimit: request.daily_limit ?? null,
    expiresAt: futureExpiry(request.expires_at ?? null, now),
    liveKeyLimit: LIVE_KEY_LIMIT,
    now
  })
  if (!key) throw new TooManyApiKeysError(LIVE_KEY_LIMIT)
  return { ...toApiKey(key, now), secret }
}

export async function listKeys(store: ApiKeyStore, userId: number) {
  const now = Date.now()
  return { keys: (await store.listApiKeys(userId)).map((key) => toApiKey(key, now)) }
}

/** An administrator's view of one user's keys; 404 `user_not_found` when there is no such user. */
export async function listUserKeys(store: ApiKeyStore & AccountStore, username: string) {
  return listKeys(store, await accountIdOf(store, username))
}

/** Changes the owner's key (any user's when `ownerId` is undefined); a revoked key is 409, another's 404. */
export async function updateKey(
  store: ApiKeyStore,
  models: ModelCatalog,
  keyId: number,
  ownerId: number | undefined,
  change: ApiKeyChange
) {
  const updated = await store.updateApiKey({
    keyId,
    ownerId,
    name: change.name?.trim(),
    models: change.models === undefined ? undefined : offeredModels(models, change.models),
    monthlyLimit: change.monthly_limit,
    dailyLimit: change.daily_limit
  })
  if (updated) return toApiKey(updated, Date.now())
  if (await store.findApiKey(keyId, ownerId)) throw new ApiKeyRevokedError(keyId)
  throw new ApiKeyNotFoundError(keyId)
}

/** Revokes the owner's key (any user's when `ownerId` is undefined); again, it answers with the first revocation. */
export async function revokeKey(store: ApiKeyStore, keyId: number, ownerId: number | undefined) {
  const revoked = await store.revokeApiKey(keyId, ownerId, Date.now())
  if (!revoked) throw new ApiKeyNotFoundError(keyId)
  return toApiKey(revoked, Date.now())
}

/**
 * The holder of a live key with this secret, for `/v1`; undefined for anything else. The use is recorded in the
 * background: the request does not wait for it, and a failure to record it is logged, never thrown.
 */
export async function authenticateApiKey(
  store: ApiKeyStore,
  hashKey: Buffer,
  secret: string,
  now: number,
  log: WriteLog
): Promise<KeyHolder | undefined> {
  if (!secret.startsWith(KEY_SECRET_PREFIX)) return undefined
  const holder = await store.findKeyHolder(hashKeySecret(secret, hashKey), now)
  if (!holder) return undefined
  const staleBefore = now - LAST_USE_RESOLUTION_MS
  // The row just read says whether the use is already recorded to the minute: most calls then write nothing.
  if (holder.key.lastUsedAt !== null && holder.key.lastUsedAt >= staleBefore) return holder
  const keyId = holder.key.id
  writeOrRetryLater(() => store.touchApiKey(keyId, now, staleBefore), {
    what: `the use of API key ${keyId}`,
    log
  }).catch((error: unknown) => log.error({ err: error }, `the use of API key ${keyId} could not be recorded`))
  return holder
}

function offeredModels(catalog: ModelCatalog, models: string[] | null): string[] | null {
  if (models === null) return null
  const unknown = models.findIndex((id) => !catalog.models.has(id))
  if (unknown >= 0) throw modelNotAllowed(models[unknown]!, [...catalog.models.keys()], `#/models/${unknown}`)
  return models
}

function futureExpiry(expiresAt: string | null, now: number): number | null {
  if (expiresAt === null) return null
  const time = Date.parse(expiresAt)
  if (time <= now) throw validationFailed('body', [{ pointer: '#/expires_at', message: 'must be in the future' }])
  return time
}

const isoOrNull = (time: number | null) => (time === null ? null : new Date(time).toISOString())

/** What a key spent in the current periods: a spend stored for an earlier period counts as nothing. */
function toApiKey(key: StoredApiKey, now: number): ApiKey {
  const periods = spendPeriods(now)
  return {
    id: key.id,
    name: key.name,
    last_four: key.lastFour,
    created_at: new Date(key.createdAt).toISOString(),
    last_used_at: isoOrNull(key.lastUsedAt),
    expires_at: isoOrNull(key.expiresAt),
    revoked_at: isoOrNull(key.revokedAt),
    models: key.models,
    monthly_limit: key.monthlyLimit,
    daily_limit: key.dailyLimit,
    spend: {
      month: key.month.period === periods.month ? key.month.spent : 0,
      day: key.day.period === periods.day ? key.day.spent : 0
    }
  }
}
