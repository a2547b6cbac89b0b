import { createHash } from 'node:crypto'
import type { IdempotencyScope, IdempotencyStore, StoredResponse } from '../../db/store.js'
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../../problems/errors.js'
import { writeOrRetryLater, type WriteLog } from '../common/write-later.js'

/** How long a key remembers its first response (as Stripe and the IETF draft suggest). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000

/**
 * A claimed key. Once its request has charged, the key is never released: its answer is remembered, and if the
 * database cannot take the answer now it is written again in the background, while retries get 409. Only a request
 * refused before it changed anything releases its key; the refund of a charged chat releases the key itself, in the
 * refund's transaction. Neither method rejects.
 */
export class IdempotencyClaim {
  constructor(
    private readonly store: IdempotencyStore,
    readonly scope: IdempotencyScope,
    private readonly log: WriteLog
  ) {}

  remember(response: StoredResponse): Promise<void> {
    return this.write('storing the answer', () => this.store.completeIdempotentRequest(this.scope, response))
  }

  release(): Promise<void> {
    return this.write('releasing', () => this.store.releaseIdempotentRequest(this.scope))
  }

  private async write(action: string, write: () => Promise<void>) {
    const what = `${action} of Idempotency-Key ${JSON.stringify(this.scope.key)}`
    try {
      await writeOrRetryLater(write, { what, log: this.log })
    } catch (error) {
      this.log.error({ err: error }, `${what} failed`)
    }
  }
}

export type IdempotencyStart = { replay: StoredResponse } | { claim: IdempotencyClaim }

/**
 * Starts a request sent with an `Idempotency-Key`: the same key with the same body replays the stored response, with
 * another body is 422, and while the first request is still running is 409. Keys are scoped to the user.
 */
export async function startIdempotentRequest(
  store: IdempotencyStore,
  scope: IdempotencyScope,
  body: unknown,
  log: WriteLog
): Promise<IdempotencyStart> {
  const now = Date.now()
  const outcome = await store.beginIdempotentRequest({
    ...scope,
    requestHash: fingerprint(body),
    expiredBefore: now - IDEMPOTENCY_KEY_TTL_MS,
    now
  })
  if (outcome.state === 'mismatch') throw new IdempotencyKeyReusedError()
  if (outcome.state === 'in_progress') throw new IdempotencyKeyInUseError()
  if (outcome.state === 'replay') return { replay: outcome.response }
  return { claim: new IdempotencyClaim(store, scope, log) }
}

/** A hash of the body that ignores the order of object keys. */
function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
