import { and, count, eq, isNull, sql } from 'drizzle-orm'
import type { AccountDeletion, AccountDeletionResult } from '../store.js'
import { deletedAccountName, NO_PASSWORD_HASH } from '../storage-rules.js'
import type { Db } from './connection.js'
import { apiKeys, chats, conversations, idempotencyKeys, ledger, sessions, users } from './schema.js'
import { transaction } from './transaction.js'

/**
 * Deleting an account: one transaction. It locks the user's API keys, then conversations, then the user's row, the
 * order a reservation locks them in (key, conversation, user), so neither waits for the other in a circle. A
 * reservation holds the user's row lock from its debit to its commit: it either committed first, and its pending chat
 * makes the account busy, or its debit waited for this transaction and then finds the account deleted. Chats go before
 * API keys (chats.api_key_id refers to them); the sessions' refresh tokens go with them (ON DELETE CASCADE).
 */
export function accountDeletionQueries(db: Db) {
  const deleteAccount = transaction(
    db,
    async (tx, { userId, now }: AccountDeletion): Promise<AccountDeletionResult> => {
      await tx.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.userId, userId)).for('update')
      await tx
        .select({ id: conversations.id })
        .from(conversations)
        .where(eq(conversations.userId, userId))
        .for('update')
      const [found] = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, userId), isNull(users.deletedAt)))
        .for('update')
      if (!found) return 'not_found'
      const [{ pending }] = (await tx
        .select({ pending: count() })
        .from(chats)
        .where(and(eq(chats.userId, userId), eq(chats.status, 'pending')))) as [{ pending: number }]
      if (pending > 0) return 'busy'
      for (const table of [chats, conversations, idempotencyKeys, sessions, apiKeys]) {
        await tx.delete(table).where(eq(table.userId, userId))
      }
      await tx.update(ledger).set({ note: null }).where(eq(ledger.userId, userId))
      const name = deletedAccountName(userId)
      await tx
        .update(users)
        .set({
          username: name,
          usernameKey: name,
          usernameSkeleton: null,
          passwordHash: NO_PASSWORD_HASH,
          credentialsVersion: sql`${users.credentialsVersion} + 1`,
          isActive: false,
          isAdmin: false,
          monthlyLimit: null,
          adminMonthlyLimit: null,
          deletedAt: now
        })
        .where(eq(users.id, userId))
      return 'deleted'
    }
  )

  return { deleteAccount }
}
