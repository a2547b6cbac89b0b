import type { DatabaseConfig } from '../src/db/database-config.js'

/**
 * What tests read of the stored state beside the store's own methods, the same for every backend: rows as the
 * database holds them, in id order (timestamps in epoch milliseconds, flags as booleans), never SQL. Sessions, refresh
 * tokens and idempotency keys have no id that follows insertion: a test must not rely on their order. A behaviour test
 * asserts through this, or through the store, and so runs unchanged on any backend `openStoredState` knows.
 */
export interface StoredState {
  users(): Promise<UserRow[]>
  /** The user with this username key; throws when there is none, which in a test is a mistake of the test. */
  user(usernameKey: string): Promise<UserRow>
  /** The balance read without a JavaScript number's rounding; throws unless it is stored as an exact integer. */
  exactTokens(usernameKey: string): Promise<bigint>
  /** Every ledger row, or one user's. */
  ledger(usernameKey?: string): Promise<LedgerRow[]>
  /** The balance_after of every ledger row of a user, read without rounding. */
  exactBalancesAfter(usernameKey: string): Promise<bigint[]>
  chats(): Promise<ChatRow[]>
  /** The daily usage rollup, by user, day, model and API key. */
  usageDaily(): Promise<UsageDailyRow[]>
  countChats(status?: ChatRow['status']): Promise<number>
  conversations(): Promise<ConversationRow[]>
  sessions(): Promise<SessionRow[]>
  refreshTokens(): Promise<RefreshTokenRow[]>
  idempotencyKeys(): Promise<IdempotencyKeyRow[]>
  apiKeys(): Promise<ApiKeyRow[]>
  /** Users whose balance differs from the sum of their ledger deltas; the accounting invariant says: none. */
  ledgerMismatches(): Promise<Array<{ userId: number; tokens: number; ledgerSum: number }>>
  /** Changes behind the store's back, as an operator with database access, a bug or an older build could. */
  tamper: StateTampering
  close(): Promise<void>
}

export interface StateTampering {
  /** Deletes the user and, as the foreign keys say, everything that belongs to them. */
  deleteUser(usernameKey: string): Promise<void>
  /** Sets columns of a user without a ledger row: a balance set so breaks the accounting invariant. */
  updateUser(usernameKey: string, changes: Partial<Pick<UserRow, 'tokens' | 'isActive' | 'isAdmin'>>): Promise<void>
  /** Removes the skeleton, as on an account older than the column. */
  clearUsernameSkeleton(usernameKey: string): Promise<void>
  /**
   * Sets the balance past every limit of the store and appends the grant that explains it, in one transaction, as a
   * build that did not check the limit did; `tokens` may exceed 2^53 − 1.
   */
  plantGrant(usernameKey: string, tokens: bigint): Promise<void>
  setBalanceAfter(ledgerId: number, balanceAfter: number): Promise<void>
  deleteLedgerEntry(ledgerId: number): Promise<void>
  /** Sets a chat's cost without a ledger row, within its hold (the schema refuses more). */
  setChatCost(chatId: number, cost: number): Promise<void>
  /** Forgets that the newest migration ran, as a database an older build migrated. */
  forgetNewestMigration(): Promise<void>
  /** Forgets every migration, as a database whose record of them is lost. */
  forgetMigrations(): Promise<void>
}

export interface UserRow {
  id: number
  username: string
  usernameKey: string
  usernameSkeleton: string | null
  passwordHash: string
  credentialsVersion: number
  tokens: number
  isActive: boolean
  isAdmin: boolean
  createdAt: number
  monthlyLimit: number | null
  adminMonthlyLimit: number | null
  /** Set when the account was deleted: the row is then its tombstone. */
  deletedAt: number | null
}

export interface LedgerRow {
  id: number
  userId: number
  delta: number
  reason: 'signup' | 'chat' | 'settle' | 'refund' | 'grant' | 'debit'
  chatId: number | null
  actorId: number | null
  note: string | null
  balanceAfter: number
  createdAt: number
}

export interface ChatRow {
  id: number
  userId: number
  conversationId: number | null
  message: string
  response: string | null
  status: 'pending' | 'completed' | 'incomplete' | 'failed'
  failureReason: string | null
  model: string | null
  upstreamModel: string | null
  promptTokens: number | null
  cachedTokens: number | null
  completionTokens: number | null
  usageSource: 'provider' | 'estimated' | 'none' | null
  hold: number
  cost: number
  createdAt: number
  updatedAt: number
  /** The instance whose reply holds the chat's lease, and until when (see modules/chat/leases.ts). */
  leaseHolder: string | null
  leaseExpiresAt: number
  /** `chat`: a message of a conversation; `api`: a `/v1` call, made with `apiKeyId` (null: an access token). */
  origin: 'chat' | 'api'
  apiKeyId: number | null
}

export interface UsageDailyRow {
  userId: number
  day: number
  model: string
  /** 0 for usage made without an API key. */
  apiKeyId: number
  requests: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  credits: number
}

export interface ConversationRow {
  id: number
  userId: number
  title: string
  createdAt: number
  updatedAt: number
}

export interface SessionRow {
  id: string
  userId: number
  createdAt: number
  revokedAt: number | null
}

export interface RefreshTokenRow {
  jti: string
  sessionId: string
  expiresAt: number
  spentAt: number | null
}

export interface IdempotencyKeyRow {
  userId: number
  operation: string
  key: string
  requestHash: string
  responseStatus: number | null
  responseBody: string | null
  chatId: number | null
  createdAt: number
}

export interface ApiKeyRow {
  id: number
  userId: number
  name: string
  secretHash: string
  lastFour: string
  /** JSON text, as stored. */
  models: string | null
  monthlyLimit: number | null
  dailyLimit: number | null
  spendMonth: number
  monthSpent: number
  spendDay: number
  daySpent: number
  createdAt: number
  lastUsedAt: number | null
  expiresAt: number | null
  revokedAt: number | null
}

/** Every table at once, to show that an operation refused changed nothing. */
export async function everythingStored(state: StoredState) {
  return {
    users: await state.users(),
    ledger: await state.ledger(),
    chats: await state.chats(),
    conversations: await state.conversations(),
    sessions: await state.sessions(),
    refreshTokens: await state.refreshTokens(),
    idempotencyKeys: await state.idempotencyKeys(),
    apiKeys: await state.apiKeys(),
    usageDaily: await state.usageDaily()
  }
}

/**
 * The stored state of the database the store on `database` uses; open it after the store has migrated it. Each
 * backend's reader is imported only when used, as the store's own code is (`createStore`).
 */
export async function openStoredState(database: DatabaseConfig): Promise<StoredState> {
  switch (database.kind) {
    case 'sqlite':
      return (await import('./sqlite-stored-state.js')).openSqliteState(database.path)
    case 'postgres':
      return (await import('./postgres-stored-state.js')).openPostgresState(database.url)
  }
}
