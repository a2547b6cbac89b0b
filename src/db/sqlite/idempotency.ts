import { and, eq, isNull, lt, sql } from 'drizzle-orm'
import { idempotencyKeys } from './schema.js'
import type { IdempotencyBegin, IdempotencyOutcome, IdempotencyScope, StoredResponse } from '../store.js'
import type { Db } from './connection.js'
import { writeTransaction } from './transaction.js'

/** The key named by `userId`, `operation` and `key` placeholders. */
export const keyScope = and(
  eq(idempotencyKeys.userId, sql.placeholder('userId')),
  eq(idempotencyKeys.operation, sql.placeholder('operation')),
  eq(idempotencyKeys.key, sql.placeholder('key'))
)

/** Claims, completes and releases idempotency keys; the primary key makes the first claim win a race. */
export function idempotencyQueries(db: Db) {
  const deleteExpired = db
    .delete(idempotencyKeys)
    .where(and(keyScope, lt(idempotencyKeys.createdAt, sql.placeholder('expiredBefore'))))
    .prepare()

  const claim = db
    .insert(idempotencyKeys)
    .values({
      userId: sql.placeholder('userId'),
      operation: sql.placeholder('operation'),
      key: sql.placeholder('key'),
      requestHash: sql.placeholder('requestHash'),
      createdAt: sql.placeholder('now')
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key })
    .prepare()

  const select = db
    .select({
      requestHash: idempotencyKeys.requestHash,
      status: idempotencyKeys.responseStatus,
      body: idempotencyKeys.responseBody
    })
    .from(idempotencyKeys)
    .where(keyScope)
    .prepare()

  const complete = db
    .update(idempotencyKeys)
    .set({ responseStatus: sql`${sql.placeholder('status')}`, responseBody: sql`${sql.placeholder('body')}` })
    .where(keyScope)
    .prepare()

  // A key bound to a chat belongs to its charge (the refund releases it), and a key with an answer is kept.
  const release = db
    .delete(idempotencyKeys)
    .where(and(keyScope, isNull(idempotencyKeys.chatId), isNull(idempotencyKeys.responseStatus)))
    .prepare()

  const purge = db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql.placeholder('expiredBefore')))
    .prepare()

  const begin = writeTransaction(db, (input: IdempotencyBegin): IdempotencyOutcome => {
    deleteExpired.run(input)
    if (claim.get(input)) return { state: 'claimed' }
    const existing = select.get(input)!
    if (existing.requestHash !== input.requestHash) return { state: 'mismatch' }
    if (existing.status === null || existing.body === null) return { state: 'in_progress' }
    return { state: 'replay', response: { status: existing.status, body: existing.body } }
  })

  return {
    beginIdempotentRequest: async (input: IdempotencyBegin) => begin(input),
    completeIdempotentRequest: async (scope: IdempotencyScope, response: StoredResponse) => {
      complete.run({ ...scope, ...response })
    },
    releaseIdempotentRequest: async (scope: IdempotencyScope) => {
      release.run(scope)
    },
    purgeIdempotencyKeys: async (expiredBefore: number) => purge.run({ expiredBefore }).changes
  }
}
