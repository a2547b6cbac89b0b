import Database from 'better-sqlite3'
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

const USER_COLUMNS = `id, username, username_key as usernameKey, username_skeleton as usernameSkeleton,
  password_hash as passwordHash, credentials_version as credentialsVersion, tokens,
  is_active = 1 as isActive, is_admin = 1 as isAdmin, created_at as createdAt, monthly_limit as monthlyLimit,
  admin_monthly_limit as adminMonthlyLimit, deleted_at as deletedAt`

const LEDGER_COLUMNS = `l.id, l.user_id as userId, l.delta, l.reason, l.chat_id as chatId, l.actor_id as actorId, l.note,
  l.balance_after as balanceAfter, l.created_at as createdAt`

const CHAT_COLUMNS = `id, user_id as userId, conversation_id as conversationId, message, response, status,
  failure_reason as failureReason, model, upstream_model as upstreamModel, prompt_tokens as promptTokens,
  cached_tokens as cachedTokens, completion_tokens as completionTokens, usage_source as usageSource, hold, cost,
  created_at as createdAt, updated_at as updatedAt,
  lease_holder as leaseHolder, origin, api_key_id as apiKeyId, lease_expires_at as leaseExpiresAt`

const USAGE_DAILY_COLUMNS = `user_id as userId, day, model, api_key_id as apiKeyId, requests, prompt_tokens as promptTokens,
  cached_tokens as cachedTokens, completion_tokens as completionTokens, credits`

const API_KEY_COLUMNS = `id, user_id as userId, name, secret_hash as secretHash, last_four as lastFour, models,
  monthly_limit as monthlyLimit, daily_limit as dailyLimit, spend_month as spendMonth, month_spent as monthSpent,
  spend_day as spendDay, day_spent as daySpent, created_at as createdAt, last_used_at as lastUsedAt,
  expires_at as expiresAt, revoked_at as revokedAt`

type Row = Record<string, unknown>

const withFlags = (row: Row) => ({ ...row, isActive: row.isActive === 1, isAdmin: row.isAdmin === 1 }) as UserRow

/** The stored state of a SQLite file, read over a read-only connection of its own; tampering opens a writable one. */
export function openSqliteState(path: string): StoredState {
  const db = new Database(path, { readonly: true })
  const all = <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[]

  const user = async (usernameKey: string) => {
    const row = db.prepare(`select ${USER_COLUMNS} from users where username_key = ?`).get(usernameKey) as Row
    if (!row) throw new Error(`no user ${usernameKey} is stored`)
    return withFlags(row)
  }

  const write = async (change: (writable: Database.Database) => void) => {
    const writable = new Database(path)
    try {
      writable.pragma('foreign_keys = ON')
      writable.transaction(() => change(writable))()
    } finally {
      writable.close()
    }
  }

  return {
    users: async () => all<Row>(`select ${USER_COLUMNS} from users order by id`).map(withFlags),
    user,
    exactTokens: async (usernameKey) => {
      const row = db
        .prepare('select tokens, typeof(tokens) as storedAs from users where username_key = ?')
        .safeIntegers()
        .get(usernameKey) as { tokens: bigint; storedAs: string }
      if (row.storedAs !== 'integer') throw new Error(`the balance of ${usernameKey} is stored as ${row.storedAs}`)
      return row.tokens
    },
    ledger: async (usernameKey) =>
      usernameKey === undefined
        ? all<LedgerRow>(`select ${LEDGER_COLUMNS} from ledger l order by l.id`)
        : all<LedgerRow>(
            `select ${LEDGER_COLUMNS} from ledger l join users u on u.id = l.user_id where u.username_key = ?
             order by l.id`,
            usernameKey
          ),
    exactBalancesAfter: async (usernameKey) =>
      db
        .prepare(
          `select l.balance_after from ledger l join users u on u.id = l.user_id where u.username_key = ? order by l.id`
        )
        .safeIntegers()
        .pluck()
        .all(usernameKey) as bigint[],
    chats: async () => all<ChatRow>(`select ${CHAT_COLUMNS} from chats order by id`),
    usageDaily: async () =>
      all<UsageDailyRow>(`select ${USAGE_DAILY_COLUMNS} from usage_daily order by user_id, day, model, api_key_id`),
    countChats: async (status) =>
      (status === undefined
        ? db.prepare('select count(*) from chats').pluck().get()
        : db.prepare('select count(*) from chats where status = ?').pluck().get(status)) as number,
    conversations: async () =>
      all<ConversationRow>(
        'select id, user_id as userId, title, created_at as createdAt, updated_at as updatedAt from conversations order by id'
      ),
    sessions: async () =>
      all<SessionRow>(
        'select id, user_id as userId, created_at as createdAt, revoked_at as revokedAt from sessions order by rowid'
      ),
    refreshTokens: async () =>
      all<RefreshTokenRow>(
        'select jti, session_id as sessionId, expires_at as expiresAt, spent_at as spentAt from refresh_tokens order by rowid'
      ),
    idempotencyKeys: async () =>
      all<IdempotencyKeyRow>(
        `select user_id as userId, operation, key, request_hash as requestHash, response_status as responseStatus,
           response_body as responseBody, chat_id as chatId, created_at as createdAt
         from idempotency_keys order by rowid`
      ),
    apiKeys: async () => all<ApiKeyRow>(`select ${API_KEY_COLUMNS} from api_keys order by id`),
    ledgerMismatches: async () =>
      all(
        `select u.id as userId, u.tokens, coalesce(sum(l.delta), 0) as ledgerSum
         from users u left join ledger l on l.user_id = u.id
         group by u.id having u.tokens != coalesce(sum(l.delta), 0)`
      ),
    tamper: {
      deleteUser: (usernameKey) =>
        write((writable) => writable.prepare('delete from users where username_key = ?').run(usernameKey)),
      updateUser: (usernameKey, { tokens, isActive, isAdmin }) =>
        write((writable) => {
          const update = (column: string, value: unknown) =>
            writable.prepare(`update users set ${column} = ? where username_key = ?`).run(value, usernameKey)
          if (tokens !== undefined) update('tokens', tokens)
          if (isActive !== undefined) update('is_active', isActive ? 1 : 0)
          if (isAdmin !== undefined) update('is_admin', isAdmin ? 1 : 0)
        }),
      clearUsernameSkeleton: (usernameKey) =>
        write((writable) =>
          writable.prepare('update users set username_skeleton = null where username_key = ?').run(usernameKey)
        ),
      plantGrant: (usernameKey, tokens) =>
        write((writable) => {
          const before = writable
            .prepare('select id, tokens from users where username_key = ?')
            .safeIntegers()
            .get(usernameKey) as { id: bigint; tokens: bigint }
          writable.prepare('update users set tokens = ? where id = ?').run(tokens, before.id)
          writable
            .prepare(
              "insert into ledger (user_id, delta, reason, balance_after, created_at) values (?, ?, 'grant', ?, ?)"
            )
            .run(before.id, tokens - before.tokens, tokens, Date.now())
        }),
      setBalanceAfter: (ledgerId, balanceAfter) =>
        write((writable) =>
          writable.prepare('update ledger set balance_after = ? where id = ?').run(balanceAfter, ledgerId)
        ),
      deleteLedgerEntry: (ledgerId) =>
        write((writable) => writable.prepare('delete from ledger where id = ?').run(ledgerId)),
      setChatCost: (chatId, cost) =>
        write((writable) => writable.prepare('update chats set cost = ? where id = ?').run(cost, chatId)),
      forgetNewestMigration: () =>
        write((writable) =>
          writable
            .prepare(
              'delete from __drizzle_migrations where created_at = (select max(created_at) from __drizzle_migrations)'
            )
            .run()
        ),
      forgetMigrations: () => write((writable) => writable.exec('drop table __drizzle_migrations'))
    },
    close: async () => {
      db.close()
    }
  }
}
