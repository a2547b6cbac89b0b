import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { CHAT_ORIGINS, CHAT_STATUSES, LEDGER_REASONS, USAGE_SOURCES } from '../storage-rules.js'

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    username: text('username').notNull(),
    usernameKey: text('username_key').notNull().unique(),
    /**
     * The UTS #39 confusable skeleton of the key: a new name whose skeleton is taken looks like an existing one. Null
     * for deleted accounts, and for accounts older than the column whose skeleton an older account already held.
     */
    usernameSkeleton: text('username_skeleton').unique(),
    passwordHash: text('password_hash').notNull(),
    /** Raised by every password change and deactivation: a login verified against an older one may not start. */
    credentialsVersion: integer('credentials_version').notNull().default(0),
    tokens: integer('tokens').notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    isAdmin: integer('is_admin', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    /** The user's own cap on what they spend in a UTC calendar month; null for none. */
    monthlyLimit: integer('monthly_limit'),
    /** An administrator's cap on the same spending; null for none. Both caps apply. */
    adminMonthlyLimit: integer('admin_monthly_limit'),
    /** The month (`spendPeriods(now).month`) that `month_spent` counts; a spend in a later month starts from zero. */
    spendMonth: integer('spend_month').notNull().default(0),
    /** Held and charged in that month: each hold adds to it, and what a settlement or refund credits back comes off. */
    monthSpent: integer('month_spent').notNull().default(0),
    /** When the account was deleted; the row stays as a nameless tombstone that its ledger rows still point at. */
    deletedAt: integer('deleted_at')
  },
  (table) => [
    check('users_tokens_not_negative', sql`${table.tokens} >= 0`),
    check('users_month_spent_not_negative', sql`${table.monthSpent} >= 0`)
  ]
)

/**
 * A user's API keys for `/v1`: only an HMAC-SHA256 of the secret is stored (see modules/keys/secrets.ts), with its last
 * four characters to tell keys apart. Keys are revoked, never deleted: chats and usage keep naming the key that made
 * them. Spend is counted per UTC day and calendar month as on users.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull().unique(),
    lastFour: text('last_four').notNull(),
    /** A JSON array of the model ids the key may use; null for every model offered. */
    models: text('models'),
    monthlyLimit: integer('monthly_limit'),
    dailyLimit: integer('daily_limit'),
    spendMonth: integer('spend_month').notNull().default(0),
    monthSpent: integer('month_spent').notNull().default(0),
    spendDay: integer('spend_day').notNull().default(0),
    daySpent: integer('day_spent').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at')
  },
  (table) => [
    index('api_keys_user_id').on(table.userId, table.id),
    check('api_keys_spent_not_negative', sql`${table.monthSpent} >= 0 and ${table.daySpent} >= 0`)
  ]
)

/** One login: the refresh tokens rotated from it form a family that is revoked together. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at')
  },
  (table) => [index('sessions_user_id').on(table.userId)]
)

export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    jti: text('jti').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
    spentAt: integer('spent_at')
  },
  (table) => [index('refresh_tokens_session_id').on(table.sessionId)]
)

export const conversations = sqliteTable(
  'conversations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull()
  },
  (table) => [index('conversations_user_activity').on(table.userId, table.updatedAt, table.id)]
)

export const chats = sqliteTable(
  'chats',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: integer('conversation_id').references(() => conversations.id, { onDelete: 'cascade' }),
    message: text('message').notNull(),
    response: text('response'),
    status: text('status', { enum: CHAT_STATUSES }).notNull(),
    failureReason: text('failure_reason'),
    /** The model the user picked (an id of the models list); for chats from before metering, what the provider said. */
    model: text('model'),
    /** The model name the provider reported for its reply. */
    upstreamModel: text('upstream_model'),
    /** Prompt tokens, cached ones included, then the cached ones alone, then the reply's tokens. */
    promptTokens: integer('prompt_tokens'),
    cachedTokens: integer('cached_tokens'),
    completionTokens: integer('completion_tokens'),
    /** Where the token counts came from; null until the chat is settled. */
    usageSource: text('usage_source', { enum: USAGE_SOURCES }),
    /** The worst case debited when the chat was reserved: no charge may pass it. */
    hold: integer('hold').notNull(),
    /** What the chat costs: the hold while pending, the charge once settled (the rest was credited back). */
    cost: integer('cost').notNull(),
    /** The instance whose reply a pending chat waits for; null for chats from before leases. */
    leaseHolder: text('lease_holder'),
    /**
     * Until when that instance answers for the chat, renewed while the reply runs; a pending chat past it is refunded
     * by whichever instance sweeps first. Chats from before leases have 0: already expired.
     */
    leaseExpiresAt: integer('lease_expires_at').notNull().default(0),
    /** Where the chat came from: a message of a conversation (`chat`), or a stateless `/v1` call (`api`). */
    origin: text('origin', { enum: CHAT_ORIGINS }).notNull().default('chat'),
    /** The API key that made a `/v1` call; null for calls made with an access token, and for messages. */
    apiKeyId: integer('api_key_id').references(() => apiKeys.id),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull()
  },
  (table) => [
    index('chats_user_id').on(table.userId, table.id),
    index('chats_conversation_id').on(table.conversationId, table.id),
    index('chats_pending_lease')
      .on(table.leaseExpiresAt)
      .where(sql`${table.status} = 'pending'`),
    check('chats_status_known', sql`${table.status} in ('pending', 'completed', 'incomplete', 'failed')`),
    check('chats_cost_within_hold', sql`${table.cost} >= 0 and ${table.cost} <= ${table.hold}`),
    check('chats_usage_source_known', sql`${table.usageSource} in ('provider', 'estimated', 'none')`),
    check('chats_origin_known', sql`${table.origin} in ('chat', 'api')`)
  ]
)

/**
 * Every change of a balance, append-only: users.tokens always equals the sum of a user's deltas. `chat_id` is a plain
 * reference, not a foreign key, because the ledger outlives chats that their owner deletes.
 */
export const ledger = sqliteTable(
  'ledger',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    delta: integer('delta').notNull(),
    reason: text('reason', { enum: LEDGER_REASONS }).notNull(),
    chatId: integer('chat_id'),
    actorId: integer('actor_id').references(() => users.id),
    note: text('note'),
    balanceAfter: integer('balance_after').notNull(),
    createdAt: integer('created_at').notNull()
  },
  (table) => [
    index('ledger_user_id').on(table.userId, table.id),
    check('ledger_reason_known', sql`${table.reason} in ('signup', 'chat', 'settle', 'refund', 'grant', 'debit')`),
    check('ledger_balance_after_not_negative', sql`${table.balanceAfter} >= 0`)
  ]
)

/**
 * Stored first answers to requests sent with an `Idempotency-Key`, per user and operation, kept for 24 hours.
 * `chat_id` is the chat the request reserved, set in the reservation's transaction, so that the refund of that chat
 * releases the key in its own transaction (a plain reference: the key outlives a deleted chat).
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    operation: text('operation').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    chatId: integer('chat_id'),
    createdAt: integer('created_at').notNull()
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.operation, table.key] }),
    index('idempotency_keys_created_at').on(table.createdAt),
    index('idempotency_keys_chat_id')
      .on(table.chatId)
      .where(sql`${table.chatId} is not null`)
  ]
)

/**
 * Settled chats rolled up per user, UTC day (`DAY_MS`) and model, in the settlement's own transaction: a usage report
 * of a month reads at most a row per day and model, however many chats the month had. Only settled chats count; a
 * refunded one was never charged.
 */
export const usageDaily = sqliteTable(
  'usage_daily',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    day: integer('day').notNull(),
    model: text('model').notNull(),
    /** The API key of `/v1` calls; 0 for messages and calls made with an access token. */
    apiKeyId: integer('api_key_id').notNull().default(0),
    requests: integer('requests').notNull(),
    promptTokens: integer('prompt_tokens').notNull(),
    cachedTokens: integer('cached_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    credits: integer('credits').notNull()
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.day, table.model, table.apiKeyId] }),
    // Everyone's usage over a range of days (the administrators' reports) is read from this index alone, since it
    // holds every column they sum: a month of a million chats is a quarter of a million rows to add up.
    index('usage_daily_day_totals').on(
      table.day,
      table.model,
      table.requests,
      table.promptTokens,
      table.cachedTokens,
      table.completionTokens,
      table.credits
    )
  ]
)
