import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from './connection.js'
import { chats } from './schema.js'

/** The renewal of the leases an instance holds on the chats whose replies it is running. */
export function chatLeaseQueries(db: Db) {
  const renew = db
    .update(chats)
    .set({ leaseExpiresAt: sql`${sql.placeholder('until')}` })
    .where(
      and(
        inArray(chats.id, sql`(select value from json_each(${sql.placeholder('chatIds')}))`),
        eq(chats.leaseHolder, sql.placeholder('holder')),
        eq(chats.status, 'pending')
      )
    )
    .prepare()

  return {
    renewChatLeases: async (holder: string, chatIds: number[], until: number): Promise<number> =>
      chatIds.length === 0 ? 0 : renew.run({ holder, chatIds: JSON.stringify(chatIds), until }).changes
  }
}
