import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { Test } from 'tap'
import type { ChatReservation, ChatSettlement, NewSession, Store } from '../../src/db/store.js'
import type { StoredState } from '../stored-state.js'

export const HOUR = 60 * 60 * 1000

/** Creates a user whose username, key and skeleton are `usernameKey`; returns their id. */
export async function createUser(store: Store, usernameKey: string, tokens = 1000, now = Date.now()) {
  const created = await store.createUser({
    username: usernameKey,
    usernameKey,
    usernameSkeleton: usernameKey,
    passwordHash: `hash of ${usernameKey}`,
    initialTokens: tokens,
    now
  })
  if (!created.created) throw new Error(`${usernameKey} could not be created: ${created.reason}`)
  return created.userId
}

/** The instance the contract suite's reservations are made by. */
export const HOLDER = 'contract-suite-instance'

/** A reservation of `userId`'s; its lease lasts an hour unless `fields` say otherwise. */
export function reservation(userId: number, fields: Partial<ChatReservation> = {}): ChatReservation {
  const now = fields.now ?? Date.now()
  return {
    userId,
    origin: 'chat',
    conversationId: undefined,
    newConversationTitle: 'a conversation',
    message: 'hello',
    model: 'test-model',
    hold: 10,
    lease: { holder: HOLDER, expiresAt: now + HOUR },
    now,
    ...fields
  }
}

/** Reserves a chat message that must be reserved; returns its ids. */
export async function reserved(store: Store, userId: number, fields: Partial<ChatReservation> = {}) {
  const result = await store.reserveChat(reservation(userId, fields))
  if (!result.reserved) throw new Error(`the reservation was refused: ${result.reason}`)
  const { conversationId } = result
  if (conversationId === null) throw new Error('a chat message was reserved without a conversation')
  return { ...result, conversationId }
}

export function settlement(chatId: number, fields: Partial<ChatSettlement> = {}): ChatSettlement {
  return {
    chatId,
    status: 'completed',
    response: `reply ${chatId}`,
    upstreamModel: 'test-model',
    usage: { source: 'provider', promptTokens: 3, cachedTokens: 0, completionTokens: 5 },
    cost: 10,
    now: Date.now(),
    ...fields
  }
}

export function newSession(userId: number, fields: Partial<NewSession> = {}): NewSession {
  const now = Date.now()
  return {
    sessionId: randomUUID(),
    userId,
    credentialsVersion: 0,
    upgradedPasswordHash: undefined,
    refreshJti: randomUUID(),
    refreshExpiresAt: now + HOUR,
    now,
    ...fields
  }
}

/** Starts a session that must start; returns what it was started with. */
export async function startedSession(store: Store, userId: number, fields: Partial<NewSession> = {}) {
  const session = newSession(userId, fields)
  if (!(await store.startSession(session))) throw new Error('the session was refused')
  return session
}

/** The accounting invariant, asked of the store's audit and of the stored state alike. */
export async function assertBooksBalance(t: Test, store: Store, state: StoredState) {
  t.same((await store.auditLedger()).mismatches, [], 'the audit finds every balance backed by its ledger')
  t.same(await state.ledgerMismatches(), [], 'every balance is the sum of its ledger deltas')
}

/** Rows sorted by a key of theirs: for rows the stored state returns in no particular order (see StoredState). */
export function sortedBy<Row, Key extends keyof Row>(rows: Row[], key: Key): Row[] {
  return [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key])))
}

export interface KeyLimits {
  dailyLimit?: number | null
  monthlyLimit?: number | null
}

/**
 * Inserts an API key of `userId`'s straight into the database of `databaseUrl` (the store's own `createApiKey` is
 * another concern's), with these limits; returns its id.
 */
export async function insertApiKey(databaseUrl: string, userId: number, limits: KeyLimits = {}): Promise<number> {
  const values = [
    userId,
    `key of ${userId}`,
    randomUUID(),
    'abcd',
    limits.monthlyLimit ?? null,
    limits.dailyLimit ?? null
  ]
  const [row] = await onDatabase<{ id: number }>(
    databaseUrl,
    `insert into api_keys (user_id, name, secret_hash, last_four, monthly_limit, daily_limit, created_at)
     values ($1, $2, $3, $4, $5, $6, 0) returning id`,
    values
  )
  return row!.id
}

/** The spend stored on an API key, as `PeriodSpend`s. */
export async function apiKeySpend(databaseUrl: string, keyId: number) {
  const [row] = await onDatabase<{ spendDay: number; daySpent: number; spendMonth: number; monthSpent: number }>(
    databaseUrl,
    `select spend_day as "spendDay", day_spent::float8 as "daySpent", spend_month as "spendMonth",
       month_spent::float8 as "monthSpent" from api_keys where id = $1`,
    [keyId]
  )
  return {
    day: { period: row!.spendDay, spent: row!.daySpent },
    month: { period: row!.spendMonth, spent: row!.monthSpent }
  }
}

/** One statement on a connection of its own; `$n` parameters, which SQLite reads as numbered ones too. */
async function onDatabase<Row>(databaseUrl: string, text: string, values: unknown[]): Promise<Row[]> {
  if (databaseUrl.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    try {
      return (await client.query(text, values)).rows as Row[]
    } finally {
      await client.end()
    }
  }
  const sqlite = new Database(databaseUrl, { timeout: 5000 })
  try {
    const numbered = Object.fromEntries(values.map((value, index) => [index + 1, value]))
    return sqlite.prepare(text.replaceAll('::float8', '')).all(numbered) as Row[]
  } finally {
    sqlite.close()
  }
}
