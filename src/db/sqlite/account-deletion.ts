import { and, count, eq, isNull, sql } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { AccountDeletion, AccountDeletionResult } from '../store.js'
import { deletedAccountName, NO_PASSWORD_HASH } from '../storage-rules.js'
import type { Db } from './connection.js'
import { apiKeys, chats, conversations, idempotencyKeys, ledger, sessions, users } from './schema.js'
import { writeTransaction } from './transaction.js'
import type { BatchedWrite } from './write-batch.js'

const ofUser = (table: { userId: SQLiteColumn }) => eq(table.userId, sql.placeholder('userId'))

/**
 * Deleting an account: one write transaction, group-committed, which holds the write lock from its first read, so a
 * reservation either committed before it (and its pending chat makes the account busy) or runs after it and finds no
 * account to debit. Chats go before API keys (chats.api_key_id refers to them) and conversations; the sessions' refresh
 * tokens go with them (ON DELETE CASCADE).
 */
export function accountDeletionQueries(db: Db, batched: BatchedWrite) {
  const selectUndeleted = db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, sql.placeholder('userId')), isNull(users.deletedAt)))
    .prepare()

  const countPending = db
    .select({ pending: count() })
    .from(chats)
    .where(and(ofUser(chats), eq(chats.status, 'pending')))
    .prepare()

  const removals = [chats, conversations, idempotencyKeys, sessions, apiKeys].map((table) =>
    db.delete(table).where(ofUser(table)).prepare()
  )

  const clearNotes = db.update(ledger).set({ note: null }).where(ofUser(ledger)).prepare()

  const toTombstone = db
    .update(users)
    .set({
      username: sql`${sql.placeholder('name')}`,
      usernameKey: sql`${sql.placeholder('name')}`,
      usernameSkeleton: null,
      passwordHash: NO_PASSWORD_HASH,
      credentialsVersion: sql`${users.credentialsVersion} + 1`,
      isActive: false,
      isAdmin: false,
      monthlyLimit: null,
      adminMonthlyLimit: null,
      deletedAt: sql`${sql.placeholder('now')}`
    })
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  const deleteAccount = writeTransaction(db, ({ userId, now }: AccountDeletion): AccountDeletionResult => {
    if (!selectUndeleted.get({ userId })) return 'not_found'
    if (countPending.get({ userId })!.pending > 0) return 'busy'
    for (const removal of removals) removal.run({ userId })
    clearNotes.run({ userId })
    toTombstone.run({ userId, now, name: deletedAccountName(userId) })
    return 'deleted'
  })

  return {
    deleteAccount: (input: AccountDeletion) => batched(() => deleteAccount(input))
  }
}
