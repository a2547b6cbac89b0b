import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  serial,
  text
} from 'drizzle-orm/pg-core'
import { CHAT_ORIGINS, CHAT_STATUSES, LEDGER_REASONS, USAGE_SOURCES } from '../storage-rules.js'

/**
 * The PostgreSQL twin of sqlite/schema.ts (see there for what each column means). Amounts of tokens and timestamps
 * (epoch milliseconds) are `bigint`, read back as JavaScript numbers: grants keep every balance at most 2^53 − 1.
 */
const amount = (name: string) => bigint(name, { mode: 'number' })

/**
 * Username keys compare as code points, as SQLite's BINARY collation does, whatever the database's default collation:
 * the admin search's prefix range and the unique index then agree on every server.
 */
const codePointText = customType<{ data: string }>({ dataType: () => 'text collate "C"' })

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    username: text('username').notNull(),
    usernameKey: codePointText('username_key').notNull().unique(),
    usernameSkeleton: text('username_skeleton').unique(),
    passwordHash: text('password_hash').notNull(),
    credentialsVersion: integer('credentials_version').notNull().default(0),
    tokens: amount('tokens').notNull(),
    isActive: boolean('is_active').notNull().default(true),
    isAdmin: boolean('is_admin').notNull().default(false),
    createdAt: amount('created_at').notNull(),
    monthlyLimit: amount('monthly_limit'),
    adminMonthlyLimit: amount('admin_monthly_limit'),
    spendMonth: integer('spend_month').notNull().default(0),
    monthSpent: amount('month_spent').notNull().default(0),
    deletedAt: amount('deleted_at')
  },
  (table) => [
    check('users_tokens_not_negative', sql`${table.tokens} >= 0`),
    check('users_month_spent_not_negative', sql`${table.monthSpent} >= 0`)
  ]
)

export const apiKeys = pgTable(
  'api_keys',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull().unique(),
    lastFour: text('last_four').notNull(),
    models: text('models'),
    monthlyLimit: amount('monthly_limit'),
    dailyLimit: amount('daily_limit'),
    spendMonth: integer('spend_month').notNull().default(0),
    monthSpent: amount('month_spent').notNull().default(0),
    spendDay: integer('spend_day').notNull().default(0),
    daySpent: amount('day_spent').notNull().default(0),
    createdAt: amount('created_at').notNull(),
    lastUsedAt: amount('last_used_at'),
    expiresAt: amount('expires_at'),
    revokedAt: amount('revoked_at')
  },
  (table) => [
    index('api_keys_user_id').on(table.userId, table.id),
    check('api_keys_spent_not_negative', sql`${table.monthSpent} >= 0 and ${table.daySpent} >= 0`)
  ]
)

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: amount('created_at').notNull(),
    revokedAt: amount('revoked_at')
  },
  (table) => [index('sessions_user_id').on(table.userId)]
)

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    jti: text('jti').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    expiresAt: amount('expires_at').notNull(),
    spentAt: amount('spent_at')
  },
  (table) => [index('refresh_tokens_session_id').on(table.sessionId)]
)

export const conversations = pgTable(
  'conversations',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    createdAt: amount('created_at').notNull(),
    updatedAt: amount('updated_at').notNull()
  },
  (table) => [index('conversations_user_activity').on(table.userId, table.updatedAt, table.id)]
)

export const chats = pgTable(
  'chats',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: integer('conversation_id').references(() => conversations.id, { onDelete: 'cascade' }),
    message: text('message').notNull(),
    response: text('response'),
    status: text('status', { enum: CHAT_STATUSES }).notNull(),
    failureReason: text('failure_reason'),
    model: text('model'),
    upstreamModel: text('upstream_model'),
    promptTokens: integer('prompt_tokens'),
    cachedTokens: integer('cached_tokens'),
    completionTokens: integer('completion_tokens'),
    usageSource: text('usage_source', { enum: USAGE_SOURCES }),
    hold: amount('hold').notNull(),
    cost: amount('cost').notNull(),
    leaseHolder: text('lease_holder'),
    leaseExpiresAt: amount('lease_expires_at').notNull().default(0),
    origin: text('origin', { enum: CHAT_ORIGINS }).notNull().default('chat'),
    apiKeyId: integer('api_key_id').references(() => apiKeys.id),
    createdAt: amount('created_at').notNull(),
    updatedAt: amount('updated_at').notNull()
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

export const ledger = pgTable(
  'ledger',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    delta: amount('delta').notNull(),
    reason: text('reason', { enum: LEDGER_REASONS }).notNull(),
    chatId: integer('chat_id'),
    actorId: integer('actor_id').references(() => users.id),
    note: text('note'),
    balanceAfter: amount('balance_after').notNull(),
    createdAt: amount('created_at').notNull()
  },
  (table) => [
    index('ledger_user_id').on(table.userId, table.id),
    check('ledger_reason_known', sql`${table.reason} in ('signup', 'chat', 'settle', 'refund', 'grant', 'debit')`),
    check('ledger_balance_after_not_negative', sql`${table.balanceAfter} >= 0`)
  ]
)

export const idempotencyKeys = pgTable(
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
    createdAt: amount('created_at').notNull()
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.operation, table.key] }),
    index('idempotency_keys_created_at').on(table.createdAt),
    index('idempotency_keys_chat_id')
      .on(table.chatId)
      .where(sql`${table.chatId} is not null`)
  ]
)

export const usageDaily = pgTable(
  'usage_daily',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    day: integer('day').notNull(),
    model: text('model').notNull(),
    apiKeyId: integer('api_key_id').notNull().default(0),
    requests: amount('requests').notNull(),
    promptTokens: amount('prompt_tokens').notNull(),
    cachedTokens: amount('cached_tokens').notNull(),
    completionTokens: amount('completion_tokens').notNull(),
    credits: amount('credits').notNull()
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
