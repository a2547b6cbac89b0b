import { createHash } from 'node:crypto'
import type { IdempotencyScope, IdempotencyStore, StoredResponse } from '../../db/store.js'
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../../problems/errors.js'
import { problemFromError, type ProblemError } from '../../problems/render.js'
import { writeOrRetryLater, type WriteLog } from '../common/write-later.js'

/** How long a key remembers its first response (as Stripe and the IETF draft suggest). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000

/** A request that may carry an `Idempotency-Key`: what the key stands for and where a problem answer names it. */
export interface IdempotentRequest {
  /** The key as sent, if any; keys are scoped to the user and the operation. */
  key: string | undefined
  userId: number
  operation: string
  /** What the key stands for: the same key with another fingerprint is 422. */
  fingerprint: unknown
  /** The request path, for a remembered problem's `instance`. */
  instance: string
}

/** The answer of an operation that succeeded. */
export interface Answer<Body> {
  status: number
  body: Body
}

export type IdempotentOutcome<Body> = { replay: StoredResponse } | { answer: Answer<Body> }

/** The key a request claimed, as the operation sees it. */
export interface ClaimedKey {
  scope: IdempotencyScope
  /** The operation calls this once it has committed a charge bound to the key: from then on the key is its charge's. */
  charged(): void
}

/**
 * Runs an operation under an optional `Idempotency-Key`, the one mechanism for every route that takes one: the same
 * key with the same fingerprint replays the stored answer, with another is 422, and while the first request is still
 * running is 409. `run` receives the claimed key, for an operation that binds it to what it charges and says when
 * it has.
 *
 * What happens to the key follows from what the request charged:
 * - an answer is remembered;
 * - a problem before any charge releases the key, so a retry runs afresh;
 * - a problem after a charge that kept it (`refunded: false`, a stream cut off after some text) is remembered as the
 *   answer;
 * - any other problem after a charge leaves the key to the charge: the refund releases it in its own transaction
 *   (releasing it here could free a retry's fresh claim of it), now, later by a retry, or by recovery.
 * Once a charge has committed, its key is never released here: if the database cannot take the answer, it is written
 * again in the background while retries get 409.
 */
export async function idempotently<Body>(
  store: IdempotencyStore,
  log: WriteLog,
  request: IdempotentRequest,
  run: (key: ClaimedKey | undefined) => Promise<Answer<Body>>
): Promise<IdempotentOutcome<Body>> {
  if (request.key === undefined) return { answer: await run(undefined) }
  const scope = { userId: request.userId, operation: request.operation, key: request.key }
  const replay = await claim(store, scope, request.fingerprint)
  if (replay) return { replay }
  const keyWrite = keyWriter(store, scope, log)
  let charged = false
  let answer: Answer<Body>
  try {
    answer = await run({ scope, charged: () => (charged = true) })
  } catch (error) {
    const problem = { ...problemFromError(error as ProblemError), instance: request.instance }
    if (!charged) await keyWrite.release()
    else if (problem.refunded === false) {
      await keyWrite.remember({ status: problem.status, body: JSON.stringify(problem) })
    }
    throw error
  }
  await keyWrite.remember({ status: answer.status, body: JSON.stringify(answer.body) })
  return { answer }
}

/** Claims the key; or returns the stored answer to replay; or throws 422 or 409. */
async function claim(store: IdempotencyStore, scope: IdempotencyScope, body: unknown) {
  const now = Date.now()
  const outcome = await store.beginIdempotentRequest({
    ...scope,
    requestHash: fingerprint(body),
    expiredBefore: now - IDEMPOTENCY_KEY_TTL_MS,
    now
  })
  if (outcome.state === 'mismatch') throw new IdempotencyKeyReusedError()
  if (outcome.state === 'in_progress') throw new IdempotencyKeyInUseError()
  return outcome.state === 'replay' ? outcome.response : undefined
}

/** Writes to a claimed key that never throw: one the database cannot take now is retried in the background. */
function keyWriter(store: IdempotencyStore, scope: IdempotencyScope, log: WriteLog) {
  const write = async (action: string, operation: () => Promise<void>) => {
    const what = `${action} of Idempotency-Key ${JSON.stringify(scope.key)}`
    try {
      await writeOrRetryLater(operation, { what, log })
    } catch (error) {
      log.error({ err: error }, `${what} failed`)
    }
  }
  return {
    remember: (response: StoredResponse) =>
      write('storing the answer', () => store.completeIdempotentRequest(scope, response)),
    release: () => write('releasing', () => store.releaseIdempotentRequest(scope))
  }
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
