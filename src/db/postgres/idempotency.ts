import { and, eq, isNull, lt } from 'drizzle-orm'
import type { IdempotencyBegin, IdempotencyOutcome, IdempotencyScope, StoredResponse } from '../store.js'
import type { Db } from './connection.js'
import { idempotencyKeys } from './schema.js'
import { transaction } from './transaction.js'

/** The key named by a scope. */
export const keyScope = ({ userId, operation, key }: IdempotencyScope) =>
  and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.operation, operation), eq(idempotencyKeys.key, key))

/** Claims, completes and releases idempotency keys; the primary key makes the first claim win a race. */
export function idempotencyQueries(db: Db) {
  // A simultaneous first claim waits for the winner's commit and then inserts nothing; the select that follows, a
  // statement of its own, sees the winner's row. One released meanwhile is gone, and is claimed again.
  const begin = transaction(db, async (tx, input: IdempotencyBegin): Promise<IdempotencyOutcome> => {
    await tx.delete(idempotencyKeys).where(and(keyScope(input), lt(idempotencyKeys.createdAt, input.expiredBefore)))
    for (;;) {
      const claimed = await tx
        .insert(idempotencyKeys)
        .values({
          userId: input.userId,
          operation: input.operation,
          key: input.key,
          requestHash: input.requestHash,
          createdAt: input.now
        })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key })
      if (claimed.length > 0) return { state: 'claimed' }
      const [existing] = await tx
        .select({
          requestHash: idempotencyKeys.requestHash,
          status: idempotencyKeys.responseStatus,
          body: idempotencyKeys.responseBody
        })
        .from(idempotencyKeys)
        .where(keyScope(input))
      if (existing) return outcomeOf(existing, input.requestHash)
    }
  })

  return {
    beginIdempotentRequest: begin,
    completeIdempotentRequest: async (scope: IdempotencyScope, response: StoredResponse) => {
      await db
        .update(idempotencyKeys)
        .set({ responseStatus: response.status, responseBody: response.body })
        .where(keyScope(scope))
    },
    // A key bound to a chat belongs to its charge (the refund releases it), and a key with an answer is kept.
    releaseIdempotentRequest: async (scope: IdempotencyScope) => {
      await db
        .delete(idempotencyKeys)
        .where(and(keyScope(scope), isNull(idempotencyKeys.chatId), isNull(idempotencyKeys.responseStatus)))
    },
    purgeIdempotencyKeys: async (expiredBefore: number) => {
      const purged = await db
        .delete(idempotencyKeys)
        .where(lt(idempotencyKeys.createdAt, expiredBefore))
        .returning({ key: idempotencyKeys.key })
      return purged.length
    }
  }
}

function outcomeOf(
  existing: { requestHash: string; status: number | null; body: string | null },
  requestHash: string
): IdempotencyOutcome {
  if (existing.requestHash !== requestHash) return { state: 'mismatch' }
  if (existing.status === null || existing.body === null) return { state: 'in_progress' }
  return { state: 'replay', response: { status: existing.status, body: existing.body } }
}
