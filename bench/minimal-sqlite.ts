import Database from 'better-sqlite3'
import type { StoredChat } from '../src/db/store.js'
import { LEASE_MS, type MinimalStore, type Reservation } from './minimal-work.js'

/**
 * The minimal server's statements on the service's SQLite file, with the service's pragmas (WAL, synchronous NORMAL)
 * and busy timeout; each write is its own IMMEDIATE transaction, committed alone.
 */
export function openMinimalSqlite(path: string): MinimalStore {
  const db = new Database(path, { timeout: 20 })
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')

  const selectSession = db
    .prepare(
      `select users.username from sessions join users on users.id = sessions.user_id
       where sessions.id = ? and sessions.user_id = ? and sessions.revoked_at is null and users.is_active = 1`
    )
    .pluck()
  const selectTokens = db.prepare('select tokens from users where id = ?').pluck()
  const debit = db
    .prepare(
      `update users set tokens = tokens - cast(? as integer)
       where id = ? and tokens >= cast(? as integer) and deleted_at is null returning tokens`
    )
    .pluck()
  const insertChat = db
    .prepare(
      `insert into chats (user_id, message, model, origin, status, hold, cost, lease_holder, lease_expires_at,
                          created_at, updated_at)
       values (?, ?, ?, 'chat', 'pending', cast(? as integer), cast(? as integer), 'minimal', ?, ?, ?) returning id`
    )
    .pluck()
  const insertLedger = db.prepare(
    `insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at)
     values (?, cast(? as integer), 'chat', ?, cast(? as integer), ?)`
  )
  const complete = db.prepare(
    `update chats set status = 'completed', response = ?, upstream_model = ?, usage_source = 'none', updated_at = ?
     where id = ? and status = 'pending'`
  )
  const selectLatest = db.prepare(
    `select id, conversation_id as conversationId, message, response, status, model, upstream_model as upstreamModel,
            prompt_tokens as promptTokens, cached_tokens as cachedTokens, completion_tokens as completionTokens,
            usage_source as usageSource, cost, created_at as createdAt
     from chats where user_id = ? and origin = 'chat' and status in ('completed', 'incomplete')
     order by id desc limit ?`
  )

  const reserve = db.transaction(
    (userId: number, message: string, model: string, hold: number, now: number): Reservation | undefined => {
      const remainingTokens = debit.get(hold, userId, hold) as number | undefined
      if (remainingTokens === undefined) return undefined
      const chatId = insertChat.get(userId, message, model, hold, hold, now + LEASE_MS, now, now) as number
      insertLedger.run(userId, -hold, chatId, remainingTokens, now)
      return { chatId, remainingTokens }
    }
  ).immediate

  return {
    sessionUsername: async (userId, sessionId) => selectSession.get(sessionId, userId) as string | undefined,
    balance: async (userId) => selectTokens.get(userId) as number | undefined,
    reserve: async (userId, message, model, hold, now) => reserve(userId, message, model, hold, now),
    settle: async (chatId, response, upstreamModel, now) => {
      complete.run(response, upstreamModel, now, chatId)
    },
    latestChats: async (userId, limit) => selectLatest.all(userId, limit) as StoredChat[],
    close: async () => {
      db.close()
    }
  }
}
