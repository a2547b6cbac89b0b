import pg from 'pg'
import type { StoredChat } from '../src/db/store.js'
import { LEASE_MS, type MinimalStore } from './minimal-work.js'

/**
 * The minimal server's statements on the service's PostgreSQL database, as named prepared statements on a pool of the
 * service's size; a reservation is one transaction of its statements sent one by one, a settlement one statement.
 */
export function openMinimalPostgres(url: string, poolSize: number): MinimalStore {
  // Amounts and timestamps are bigint; the service reads them as numbers too.
  pg.types.setTypeParser(pg.types.builtins.INT8, Number)
  const pool = new pg.Pool({ connectionString: url, max: poolSize })
  const query = async <Row extends pg.QueryResultRow>(name: string, text: string, values: unknown[]) =>
    (await pool.query<Row>({ name, text, values })).rows

  return {
    sessionUsername: async (userId, sessionId) => {
      const rows = await query<{ username: string }>(
        'session',
        `select users.username from sessions join users on users.id = sessions.user_id
         where sessions.id = $1 and sessions.user_id = $2 and sessions.revoked_at is null and users.is_active`,
        [sessionId, userId]
      )
      return rows[0]?.username
    },
    balance: async (userId) => {
      const rows = await query<{ tokens: number }>('balance', 'select tokens from users where id = $1', [userId])
      return rows[0]?.tokens
    },
    reserve: async (userId, message, model, hold, now) => {
      const client = await pool.connect()
      try {
        await client.query('begin')
        const debited = await client.query<{ tokens: number }>({
          name: 'debit',
          text: `update users set tokens = tokens - $2 where id = $1 and tokens >= $2 and deleted_at is null
                 returning tokens`,
          values: [userId, hold]
        })
        const remainingTokens = debited.rows[0]?.tokens
        if (remainingTokens === undefined) {
          await client.query('rollback')
          return undefined
        }
        const chat = await client.query<{ id: number }>({
          name: 'pending-chat',
          text: `insert into chats (user_id, message, model, origin, status, hold, cost, lease_holder, lease_expires_at,
                                    created_at, updated_at)
                 values ($1, $2, $3, 'chat', 'pending', $4, $4, 'minimal', $5, $6, $6) returning id`,
          values: [userId, message, model, hold, now + LEASE_MS, now]
        })
        const chatId = chat.rows[0]!.id
        await client.query({
          name: 'chat-ledger',
          text: `insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at)
                 values ($1, $2, 'chat', $3, $4, $5)`,
          values: [userId, -hold, chatId, remainingTokens, now]
        })
        await client.query('commit')
        return { chatId, remainingTokens }
      } catch (error) {
        await client.query('rollback').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    settle: async (chatId, response, upstreamModel, now) => {
      await query(
        'settle',
        `update chats set status = 'completed', response = $2, upstream_model = $3, usage_source = 'none',
                updated_at = $4
         where id = $1 and status = 'pending'`,
        [chatId, response, upstreamModel, now]
      )
    },
    latestChats: (userId, limit) =>
      query<StoredChat>(
        'latest-chats',
        `select id, conversation_id as "conversationId", message, response, status, model,
                upstream_model as "upstreamModel", prompt_tokens as "promptTokens", cached_tokens as "cachedTokens",
                completion_tokens as "completionTokens", usage_source as "usageSource", cost, created_at as "createdAt"
         from chats where user_id = $1 and origin = 'chat' and status in ('completed', 'incomplete')
         order by id desc limit $2`,
        [userId, limit]
      ),
    close: () => pool.end()
  }
}
