import pg from 'pg'
import type {
  ApiKeyRow,
  ChatRow,
  ConversationRow,
  IdempotencyKeyRow,
  LedgerRow,
  RefreshTokenRow,
  SessionRow,
  StoredState,
  UsageDailyRow,
  UserRow
} from './stored-state.js'

const USER_COLUMNS = `id, username, username_key as "usernameKey", username_skeleton as "usernameSkeleton",
  password_hash as "passwordHash", credentials_version as "credentialsVersion", tokens::float8 as tokens,
  is_active as "isActive", is_admin as "isAdmin", created_at::float8 as "createdAt",
  monthly_limit::float8 as "monthlyLimit", admin_monthly_limit::float8 as "adminMonthlyLimit",
  deleted_at::float8 as "deletedAt"`

const LEDGER_COLUMNS = `l.id, l.user_id as "userId", l.delta::float8 as delta, l.reason, l.chat_id as "chatId",
  l.actor_id as "actorId", l.note, l.balance_after::float8 as "balanceAfter", l.created_at::float8 as "createdAt"`

const CHAT_COLUMNS = `id, user_id as "userId", conversation_id as "conversationId", message, response, status,
  failure_reason as "failureReason", model, upstream_model as "upstreamModel", prompt_tokens as "promptTokens",
  cached_tokens as "cachedTokens", completion_tokens as "completionTokens", usage_source as "usageSource",
  hold::float8 as hold, cost::float8 as cost, created_at::float8 as "createdAt", updated_at::float8 as "updatedAt",
  lease_holder as "leaseHolder", origin, api_key_id as "apiKeyId", lease_expires_at::float8 as "leaseExpiresAt"`

const USAGE_DAILY_COLUMNS = `user_id as "userId", day, model, api_key_id as "apiKeyId", requests::float8 as requests,
  prompt_tokens::float8 as "promptTokens", cached_tokens::float8 as "cachedTokens",
  completion_tokens::float8 as "completionTokens", credits::float8 as credits`

const API_KEY_COLUMNS = `id, user_id as "userId", name, secret_hash as "secretHash", last_four as "lastFour", models,
  monthly_limit::float8 as "monthlyLimit", daily_limit::float8 as "dailyLimit", spend_month as "spendMonth",
  month_spent::float8 as "monthSpent", spend_day as "spendDay", day_spent::float8 as "daySpent",
  created_at::float8 as "createdAt", last_used_at::float8 as "lastUsedAt", expires_at::float8 as "expiresAt",
  revoked_at::float8 as "revokedAt"`

/**
 * The stored state of a PostgreSQL database, over a pool of its own. Amounts and timestamps are read as float8, so that
 * they come back as numbers; the exact reads go through text. Sessions, refresh tokens and idempotency keys, which
 * have no id that follows insertion, come sorted by time and key.
 */
export function openPostgresState(url: string): StoredState {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  // The test's database is dropped WITH (FORCE) once it is done, which ends any connection left idle here.
  pool.on('error', () => {})
  const all = async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[]

  const user = async (usernameKey: string) => {
    const [row] = await all<UserRow>(`select ${USER_COLUMNS} from users where username_key = $1`, [usernameKey])
    if (!row) throw new Error(`no user ${usernameKey} is stored`)
    return row
  }

  const write = async (change: (client: pg.PoolClient) => Promise<unknown>) => {
    const client = await pool.connect()
    try {
      await client.query('begin')
      await change(client)
      await client.query('commit')
    } catch (error) {
      await client.query('rollback')
      throw error
    } finally {
      client.release()
    }
  }

  return {
    users: () => all<UserRow>(`select ${USER_COLUMNS} from users order by id`),
    user,
    exactTokens: async (usernameKey) => {
      const [row] = await all<{ tokens: string }>('select tokens::text as tokens from users where username_key = $1', [
        usernameKey
      ])
      return BigInt(row!.tokens)
    },
    ledger: (usernameKey) =>
      usernameKey === undefined
        ? all<LedgerRow>(`select ${LEDGER_COLUMNS} from ledger l order by l.id`)
        : all<LedgerRow>(
            `select ${LEDGER_COLUMNS} from ledger l join users u on u.id = l.user_id where u.username_key = $1
             order by l.id`,
            [usernameKey]
          ),
    exactBalancesAfter: async (usernameKey) =>
      (
        await all<{ balanceAfter: string }>(
          `select l.balance_after::text as "balanceAfter" from ledger l join users u on u.id = l.user_id
           where u.username_key = $1 order by l.id`,
          [usernameKey]
        )
      ).map(({ balanceAfter }) => BigInt(balanceAfter)),
    chats: () => all<ChatRow>(`select ${CHAT_COLUMNS} from chats order by id`),
    usageDaily: () =>
      all<UsageDailyRow>(
        `select ${USAGE_DAILY_COLUMNS} from usage_daily order by user_id, day, model collate "C", api_key_id`
      ),
    countChats: async (status) => {
      const [row] =
        status === undefined
          ? await all<{ count: number }>('select count(*)::int as count from chats')
          : await all<{ count: number }>('select count(*)::int as count from chats where status = $1', [status])
      return row!.count
    },
    conversations: () =>
      all<ConversationRow>(
        `select id, user_id as "userId", title, created_at::float8 as "createdAt", updated_at::float8 as "updatedAt"
         from conversations order by id`
      ),
    sessions: () =>
      all<SessionRow>(
        `select id, user_id as "userId", created_at::float8 as "createdAt", revoked_at::float8 as "revokedAt"
         from sessions order by created_at, id`
      ),
    refreshTokens: () =>
      all<RefreshTokenRow>(
        `select jti, session_id as "sessionId", expires_at::float8 as "expiresAt", spent_at::float8 as "spentAt"
         from refresh_tokens order by jti`
      ),
    idempotencyKeys: () =>
      all<IdempotencyKeyRow>(
        `select user_id as "userId", operation, key, request_hash as "requestHash",
           response_status as "responseStatus", response_body as "responseBody", chat_id as "chatId",
           created_at::float8 as "createdAt"
         from idempotency_keys order by created_at, user_id, operation, key`
      ),
    apiKeys: () => all<ApiKeyRow>(`select ${API_KEY_COLUMNS} from api_keys order by id`),
    ledgerMismatches: () =>
      all(
        `select u.id as "userId", u.tokens::float8 as tokens, coalesce(sum(l.delta), 0)::float8 as "ledgerSum"
         from users u left join ledger l on l.user_id = u.id
         group by u.id having u.tokens != coalesce(sum(l.delta), 0)`
      ),
    tamper: {
      deleteUser: (usernameKey) =>
        write((client) => client.query('delete from users where username_key = $1', [usernameKey])),
      updateUser: (usernameKey, { tokens, isActive, isAdmin }) =>
        write(async (client) => {
          const update = (column: string, value: unknown) =>
            client.query(`update users set ${column} = $1 where username_key = $2`, [value, usernameKey])
          if (tokens !== undefined) await update('tokens', tokens)
          if (isActive !== undefined) await update('is_active', isActive)
          if (isAdmin !== undefined) await update('is_admin', isAdmin)
        }),
      clearUsernameSkeleton: (usernameKey) =>
        write((client) =>
          client.query('update users set username_skeleton = null where username_key = $1', [usernameKey])
        ),
      plantGrant: (usernameKey, tokens) =>
        write(async (client) => {
          const planted = String(tokens)
          await client.query(
            `with before as (select id, tokens from users where username_key = $1 for update),
                  updated as (update users set tokens = $2::bigint from before where users.id = before.id)
             insert into ledger (user_id, delta, reason, balance_after, created_at)
             select id, $2::bigint - tokens, 'grant', $2::bigint, $3 from before`,
            [usernameKey, planted, Date.now()]
          )
        }),
      setBalanceAfter: (ledgerId, balanceAfter) =>
        write((client) => client.query('update ledger set balance_after = $1 where id = $2', [balanceAfter, ledgerId])),
      deleteLedgerEntry: (ledgerId) => write((client) => client.query('delete from ledger where id = $1', [ledgerId])),
      setChatCost: (chatId, cost) =>
        write((client) => client.query('update chats set cost = $1 where id = $2', [cost, chatId])),
      forgetNewestMigration: () =>
        write((client) =>
          client.query(
            `delete from drizzle.__drizzle_migrations
             where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`
          )
        ),
      forgetMigrations: () => write((client) => client.query('drop table drizzle.__drizzle_migrations'))
    },
    close: () => pool.end()
  }
}
