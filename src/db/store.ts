import type {
  CHAT_ORIGINS,
  LEDGER_REASONS,
  SETTLED_CHARGE_FIELDS,
  SPEND_LIMITS,
  USAGE_SOURCES
} from './storage-rules.js'

/**
 * Every query the service makes, named for the business operation it performs, in narrow interfaces by concern; each
 * method's comment states what it promises about atomicity. Methods are async so that a PostgreSQL store can implement
 * the same interfaces; `create-store.ts` picks the implementation (`sqlite/store.ts` is the embedded default), and the
 * contract suite in `test/store/` holds every implementation to these promises.
 *
 * Failures: when the database cannot take an operation (a full disk, an I/O error, a read-only or corrupt file, no
 * memory, or a lock another connection held past the 5 s deadline), a method rejects with `storageUnavailable(cause)`
 * from problems/errors.ts, never with the driver's error; the operation then did not commit. While another connection
 * holds the write lock, a method waits and tries again asynchronously until the deadline, so every method must be safe
 * to run again after it failed on a lock: one transaction or statement, or idempotent. Constraint violations and other
 * errors that say the operation itself was wrong keep their own error.
 */
export interface Store
  extends
    AccountStore,
    ApiKeyStore,
    SpendLimitStore,
    SessionStore,
    ChargingStore,
    ChatHistoryStore,
    ConversationStore,
    IdempotencyStore,
    LedgerStore,
    UsageStore {
  /** Whether the database answers and has every migration this build ships; never throws. */
  checkReadiness(): Promise<Readiness>
  close(): Promise<void>
}

/** Users and their standing: sign-up, login look-up, balances, and what administrators and operators change. */
export interface AccountStore {
  /**
   * Creates the user and its `signup` ledger row in one transaction. Unique on the username key and on its skeleton:
   * the constraints decide, so of simultaneous sign-ups of one name (or look-alikes) exactly one is created.
   */
  createUser(input: NewUser): Promise<CreateUserResult>
  /** An active user by username key, with the credentials version its session must be started with. */
  findUserForLogin(usernameKey: string): Promise<LoginCandidate | undefined>
  getBalance(userId: number): Promise<Balance | undefined>
  /** Accounts older than the skeleton column that have none yet, in id order, after `afterId`. */
  listUnskeletonedUsers(afterId: number, limit: number): Promise<UnskeletonedUser[]>
  /** Sets a missing skeleton in one conditional UPDATE; false when another account already holds it. */
  setUsernameSkeleton(userId: number, skeleton: string): Promise<boolean>
  /** Accounts in username-key order, a page at a time. */
  listAccounts(query: AccountPageQuery): Promise<StoredAccount[]>
  findAccount(usernameKey: string): Promise<StoredAccount | undefined>
  /**
   * A grant (positive delta) or debit (negative) and its ledger row, all or nothing, in one conditional update: a debit
   * never goes below zero, and a grant never takes the balance plus the user's reserved tokens past 2^53 − 1.
   * Serializable per user with reservations and refunds.
   */
  adjustBalance(input: BalanceAdjustment): Promise<AdjustmentResult>
  /**
   * Deactivating also raises the credentials version and revokes every session of the user, in the same transaction:
   * no login racing it survives.
   */
  setAccountActive(input: AccountActivation): Promise<StoredAccount | undefined>
  /**
   * Promotes or demotes, in one UPDATE … RETURNING; idempotent. Undefined when there is no such user. The session
   * lookups of `findSessionUser` see the change with the next request.
   */
  setAdmin(userId: number, isAdmin: boolean): Promise<StoredAccount | undefined>
  /**
   * Deletes an account in one transaction, serializable per user with reservations: its chats, conversations,
   * sessions (and their refresh tokens), Idempotency-Keys and API keys go; its ledger rows stay, their notes cleared,
   * under the users row, which stays as a tombstone (`deletedAccountName`, no skeleton, no password, inactive, not an
   * admin, no monthly limits, `deleted_at` set) with its balance, so that every balance is still the sum of its ledger
   * and usage reports still add up. `busy`, and nothing changed, while a chat of the user is pending: a reservation
   * either commits first and makes it busy, or comes after and finds no account to debit. `not_found` for no such
   * user, or one deleted already.
   */
  deleteAccount(input: AccountDeletion): Promise<AccountDeletionResult>
}

/**
 * API keys for `/v1`. Only a keyed hash of a secret is stored and looked up; a key is revoked, never deleted, so that
 * the chats and usage it made keep naming it.
 */
export interface ApiKeyStore {
  /**
   * Creates the key unless its user already holds `liveKeyLimit` unrevoked keys (undefined then), in one transaction
   * serializable per user: of simultaneous creations, no more succeed than the limit leaves room for.
   */
  createApiKey(input: NewApiKey): Promise<StoredApiKey | undefined>
  /** A user's keys, newest first, revoked and expired ones included. */
  listApiKeys(userId: number): Promise<StoredApiKey[]>
  /** One key of its owner; of any user when `ownerId` is undefined (administrators). */
  findApiKey(keyId: number, ownerId: number | undefined): Promise<StoredApiKey | undefined>
  /**
   * Changes what the update names (and nothing else) in one conditional UPDATE … RETURNING of a key that is not
   * revoked; undefined when there is no such key of the owner, or it is revoked.
   */
  updateApiKey(input: ApiKeyUpdate): Promise<StoredApiKey | undefined>
  /**
   * Revokes in one conditional UPDATE: a revoked key keeps the time of its first revocation. Undefined when there is
   * no such key (of the owner, when `ownerId` is given). Every later `findKeyHolder` misses it, on every instance.
   */
  revokeApiKey(keyId: number, ownerId: number | undefined, now: number): Promise<StoredApiKey | undefined>
  /**
   * The key whose secret has this hash, and its user, when the key is neither revoked nor expired at `now` and the
   * user is active; one read, never remembered, so a revocation or deactivation counts from the next request.
   */
  findKeyHolder(secretHash: string, now: number): Promise<KeyHolder | undefined>
  /** Records a use in one conditional UPDATE that writes only when the last recorded use is before `staleBefore`. */
  touchApiKey(keyId: number, now: number, staleBefore: number): Promise<void>
}

/**
 * The monthly limits on a user's spending: their own, and an administrator's; both apply, to chat messages and `/v1`
 * calls alike. Limits are checked at the hold, in the reservation's own transaction (`reserveChat`).
 */
export interface SpendLimitStore {
  /** A user's limits and what they have spent; undefined when there is no such user. */
  getUserSpend(userId: number): Promise<UserSpend | undefined>
  /** Sets (or with null removes) one of a user's monthly limits in one UPDATE … RETURNING; undefined for no such user. */
  setMonthlyLimit(input: MonthlyLimitChange): Promise<UserSpend | undefined>
}

/** Logins (sessions), their rotating refresh tokens, and password changes. */
export interface SessionStore {
  /**
   * Starts a login, in one transaction with the check that the user is still active and their credentials still
   * those verified (and with the upgrade of their password hash, if any); false, and nothing stored, when not.
   */
  startSession(input: NewSession): Promise<boolean>
  /** The user of a live session of an active account; a read, remembered only while nothing could have changed it. */
  findSessionUser(userId: number, sessionId: string): Promise<SessionUser | undefined>
  /**
   * Spends the presented refresh token and records the next, in one transaction, serializable per session: of two
   * simultaneous rotations of one token exactly one rotates, and the other finds it spent, which is reuse and revokes
   * the session. Refused past the login's absolute end.
   */
  rotateRefreshToken(input: RefreshRotation): Promise<RotationResult>
  /** Ends one login; false when it had already ended. One conditional update. */
  revokeSession(sessionId: string, now: number): Promise<boolean>
  /** Ends every login of a user in one statement; returns how many were live. */
  revokeUserSessions(userId: number, now: number): Promise<number>
  refreshTokenState(jti: string, sessionId: string): Promise<RefreshTokenState>
  findPasswordHash(userId: number): Promise<string | undefined>
  /**
   * Stores the new hash, raises the credentials version and ends every login of the user but `keepSessionId` (all of
   * them without it), in one transaction; returns how many were ended.
   */
  changePassword(change: PasswordChange): Promise<number>
}

/** The three charging steps of a chat message: reserve, then settle or refund. */
export interface ChargingStore {
  /**
   * Debits the cost and records the pending chat (and a new conversation, or the bump of an owned one) and its ledger
   * row, all or nothing. Conditional: never debits below zero, serializable per user, so of simultaneous reservations
   * on one balance exactly as many succeed as it covers. The same holds for the spend limits (`SPEND_LIMITS`): the hold
   * is added to the user's month and the key's day and month in the same transaction, and only when every limit still
   * covers it, so no limit is passed however many instances reserve at once; a refusal names the binding one. A conversation being deleted at the same time is either
   * found (and then kept, since it has a pending chat) or not found; never both.
   */
  reserveChat(input: ChatReservation): Promise<ReserveResult>
  /**
   * Stores the reply of a pending chat and its charge (at most its hold: the database refuses more), credits the rest
   * of the hold back with a `settle` ledger row (and takes it off the spend of the user and key, for periods still
   * current), and adds the chat to its user's daily usage (under its key), in one transaction,
   * conditional on the chat being pending: undefined, and nothing changed, when it was settled or refunded already, so
   * a chat is settled at most once and never after a refund.
   */
  settleChat(input: ChatSettlement): Promise<SettledChat | undefined>
  /**
   * Credits the hold of a pending chat back, with its ledger row (and takes it off the spend of the user and key, for
   * periods still current), and releases the Idempotency-Key bound to the chat
   * (if it has no stored answer), in one transaction, so a retry runs afresh at once. Conditional on the chat being
   * pending: false, and nothing changed, when it was settled or refunded already, so a refund happens at most once.
   * When that leaves the chat's conversation with no chat answered or on its way (the message that started it
   * failed), the same transaction removes the conversation; the failed chat stays, without a conversation.
   */
  refundChat(input: ChatRefund): Promise<boolean>
  /**
   * Extends, in one statement, the leases `holder` has on those of `chatIds` that are still pending, to `until`;
   * returns how many it extended. A chat refunded meanwhile stays refunded.
   */
  renewChatLeases(holder: string, chatIds: number[], until: number): Promise<number>
  /**
   * Refunds, each as `refundChat` (in a savepoint of its own within one group commit), the pending chats whose lease
   * had expired at `now`;
   * returns their ids. Each refund is conditional on the lease still being expired then, so a renewal racing it
   * either comes first and keeps the chat pending, or finds it refunded. Idempotent.
   */
  refundExpiredChats(reason: string, now: number): Promise<number[]>
}

/** What users read of their chats, and the context a new message is sent with. */
export interface ChatHistoryStore {
  /** The last exchanges of a conversation before a chat, oldest first: complete and partial replies, not failures. */
  loadConversationContext(query: ContextQuery): Promise<ContextTurn[]>
  /** A user's visible chats, newest first, a keyset page at a time. */
  listChats(query: ChatPageQuery): Promise<StoredChat[]>
  findChat(userId: number, chatId: number): Promise<StoredChat | undefined>
}

/** A user's conversations. */
export interface ConversationStore {
  listConversations(query: ConversationPageQuery): Promise<StoredConversation[]>
  findConversation(userId: number, conversationId: number): Promise<StoredConversation | undefined>
  /** One conditional update on the owner's conversation. */
  renameConversation(input: ConversationRename): Promise<StoredConversation | undefined>
  /**
   * Deletes the owner's conversation and its chats (the ledger keeps its rows) in one transaction, unless a reply is
   * on its way in it (`busy`): a reservation into it either comes first and makes it busy, or finds it gone.
   */
  deleteConversation(userId: number, conversationId: number): Promise<DeleteConversationResult>
}

/** Idempotency-Key claims and the answers they replay. */
export interface IdempotencyStore {
  /**
   * Claims a key for a request, or says the key is busy, bound to another request, or has a response to replay; the
   * primary key decides, so of simultaneous first requests with one key exactly one claims it. An expired key is
   * claimed afresh in the same transaction.
   */
  beginIdempotentRequest(input: IdempotencyBegin): Promise<IdempotencyOutcome>
  /** Stores the answer to replay; idempotent, so it may be written again after a failure. */
  completeIdempotentRequest(scope: IdempotencyScope, response: StoredResponse): Promise<void>
  /**
   * Forgets a claim whose request changed nothing, in one conditional statement: a key bound to a chat (whose refund
   * releases it) or holding an answer is kept. Idempotent.
   */
  releaseIdempotentRequest(scope: IdempotencyScope): Promise<void>
  purgeIdempotencyKeys(expiredBefore: number): Promise<number>
}

/** The record of every balance change. */
export interface LedgerStore {
  /** A user's own ledger, newest first, a keyset page at a time. */
  listLedger(query: LedgerPageQuery): Promise<StoredLedgerEntry[]>
  /** Checks users.tokens == sum(ledger.delta) and every balance_after against the row before it, in one snapshot. */
  auditLedger(): Promise<LedgerAudit>
}

/** Usage reports, read from the daily rollup that every settlement adds to (refunded chats were never counted). */
export interface UsageStore {
  /**
   * Settled chats' usage over the UTC days [fromDay, toDay], summed per day, model or user, for one user or all, in
   * key order, a keyset page at a time. One statement, so a page is one snapshot of the rollup.
   */
  listUsage<Grouping extends UsageGrouping>(query: UsageQuery<Grouping>): Promise<UsageGroup<Grouping>[]>
}

export interface StoreOptions {
  /** Called when background work of the store (such as SQLite's WAL checkpointer) fails; the store carries on. */
  onBackgroundError?: (error: Error, message: string) => void
}

export interface Readiness {
  database: 'ok' | 'unreachable'
  migrations: 'ok' | 'pending' | 'unknown'
}

export type NewUser = {
  username: string
  usernameKey: string
  usernameSkeleton: string
  passwordHash: string
  initialTokens: number
  now: number
}

/** `taken`: the key exists; `looks_taken`: another key has the same skeleton. */
export type CreateUserResult =
  { created: true; userId: number; tokens: number } | { created: false; reason: 'taken' | 'looks_taken' }

export interface UnskeletonedUser {
  id: number
  usernameKey: string
}

export interface LoginCandidate {
  id: number
  username: string
  passwordHash: string
  /** Changes with every password change and deactivation; a login may only start on the version it verified. */
  credentialsVersion: number
}

export interface Balance {
  username: string
  tokens: number
}

export type NewSession = {
  sessionId: string
  userId: number
  /** The version whose password hash the login verified. */
  credentialsVersion: number
  /** The password hash made again with the current argon2 parameters, when the stored one used others. */
  upgradedPasswordHash: string | undefined
  refreshJti: string
  refreshExpiresAt: number
  now: number
}

export interface SessionUser {
  id: number
  username: string
  isAdmin: boolean
}

export type RefreshRotation = {
  userId: number
  sessionId: string
  presentedJti: string
  nextJti: string
  /** When the next token expires by its own lifetime; it is cut to the login's end if that comes first. */
  nextExpiresAt: number
  /** A login ends this long after it started, however often its tokens rotate. */
  sessionMaxAgeMs: number
  now: number
}

/**
 * `rotated` says when the next token expires and the login ends (epoch milliseconds); `reused` means a spent token
 * came back: the whole session was revoked.
 */
export type RotationResult =
  | { outcome: 'rotated'; refreshExpiresAt: number; sessionEndsAt: number }
  | { outcome: 'reused' }
  | { outcome: 'invalid' }

/**
 * Without `conversationId` the reservation starts a conversation titled `newConversationTitle`. With
 * `idempotencyKey` (a key this request has claimed), the key is bound to the chat in the same transaction.
 */
export type ChatReservation = {
  userId: number
  /** `api`: a stateless `/v1` call, which starts and touches no conversation (`conversationId` is then undefined). */
  origin: ChatOrigin
  /** The key making a `/v1` call: its limits apply, and its spend counts the hold. */
  apiKeyId?: number
  conversationId: number | undefined
  newConversationTitle: string
  message: string
  /** The id of the model the user picked. */
  model: string
  /** The worst-case cost to debit now; the settlement credits back what the reply did not use. */
  hold: number
  idempotencyKey?: IdempotencyScope
  lease: ChatLease
  now: number
}

/** The instance (`holder`) whose reply a pending chat waits for, and until when it answers for the chat. */
export type ChatLease = {
  holder: string
  expiresAt: number
}

/**
 * A refusal reports what binds, read after it: `spend_limit` when a limit's remainder is below both the hold and the
 * balance (the smallest remainder; of equal ones the first in `SPEND_LIMITS`), else `insufficient_tokens`. Either way
 * `balance` is the balance then. `conversationId` is null for a `/v1` call.
 */
export type ReserveResult =
  | { reserved: true; chatId: number; conversationId: number | null; remainingTokens: number }
  | { reserved: false; reason: 'insufficient_tokens'; balance: number }
  | { reserved: false; reason: 'spend_limit'; balance: number; limit: ReachedLimit }
  | { reserved: false; reason: 'conversation_not_found' }

export type ChatOrigin = (typeof CHAT_ORIGINS)[number]

export type SpendLimitName = (typeof SPEND_LIMITS)[number]

/** A limit that could not cover a hold: its size, what is left of it in its period, and when the period ends. */
export interface ReachedLimit {
  name: SpendLimitName
  limit: number
  remaining: number
  /** Epoch milliseconds: the start of the next UTC day or month (`spendPeriods`). */
  resetAt: number
}

/** What a period (`spendPeriods`) spent: holds added, and what settlements and refunds gave back taken off. */
export interface PeriodSpend {
  /** The period the spend counts; a spend stored for an earlier period counts as nothing. */
  period: number
  spent: number
}

export type NewApiKey = {
  userId: number
  name: string
  secretHash: string
  lastFour: string
  /** The model ids the key may use; null for every model offered. */
  models: string[] | null
  monthlyLimit: number | null
  dailyLimit: number | null
  expiresAt: number | null
  /** The most unrevoked keys a user may hold. */
  liveKeyLimit: number
  now: number
}

export interface StoredApiKey {
  id: number
  userId: number
  name: string
  lastFour: string
  models: string[] | null
  monthlyLimit: number | null
  dailyLimit: number | null
  month: PeriodSpend
  day: PeriodSpend
  createdAt: number
  lastUsedAt: number | null
  expiresAt: number | null
  revokedAt: number | null
}

/** What an update changes; a field left out stays as it is. */
export type ApiKeyUpdate = {
  keyId: number
  /** Only this user's key; any user's when undefined (administrators). */
  ownerId: number | undefined
  name?: string
  models?: string[] | null
  monthlyLimit?: number | null
  dailyLimit?: number | null
}

export interface KeyHolder {
  key: StoredApiKey
  user: SessionUser
}

export interface UserSpend {
  userId: number
  monthlyLimit: number | null
  adminMonthlyLimit: number | null
  month: PeriodSpend
}

export type MonthlyLimitChange = {
  userId: number
  /** `user`: the user's own cap; `admin`: an administrator's. */
  setBy: 'user' | 'admin'
  limit: number | null
}

/** The owner's conversation: another user's conversation has no context for them. */
export type ContextQuery = {
  userId: number
  conversationId: number
  limit: number
}

/** One earlier exchange of a conversation: the user's message and the reply (complete or partial). */
export interface ContextTurn {
  message: string
  response: string
}

export type ChatSettlement = {
  chatId: number
  status: 'completed' | 'incomplete'
  response: string
  /** The model name the provider reported. */
  upstreamModel: string
  usage: ChatUsage
  /** What the chat costs, at most its hold. */
  cost: number
  now: number
}

/** Token counts of a reply (`promptTokens` includes `cachedTokens`), or none for a model with no per-token price. */
export type ChatUsage =
  | {
      source: 'provider' | 'estimated'
      promptTokens: number
      cachedTokens: number
      completionTokens: number
    }
  | { source: 'none' }

/**
 * The settled chat and the balance right after the unused part of its hold came back; undefined when the whole hold
 * was charged (the balance after the hold's debit is then the chat's).
 */
export type SettledChat = StoredChat & { remainingTokens: number | undefined }

export type ChatRefund = {
  chatId: number
  reason: string
  now: number
}

/** Without `conversationId`, the user's whole history. */
export type ChatPageQuery = {
  userId: number
  conversationId?: number
  beforeId: number | undefined
  limit: number
}

export interface StoredChat {
  id: number
  conversationId: number | null
  message: string
  response: string
  status: 'completed' | 'incomplete'
  model: string | null
  upstreamModel: string | null
  promptTokens: number | null
  cachedTokens: number | null
  completionTokens: number | null
  usageSource: UsageSource | null
  cost: number
  createdAt: number
}

export type UsageSource = (typeof USAGE_SOURCES)[number]

export type ConversationPageQuery = {
  userId: number
  /** Keyset position: conversations with less recent activity than this one. */
  after: { updatedAt: number; id: number } | undefined
  limit: number
}

export interface StoredConversation {
  id: number
  title: string
  messageCount: number
  createdAt: number
  updatedAt: number
}

export type ConversationRename = {
  userId: number
  conversationId: number
  title: string
}

export type DeleteConversationResult = 'deleted' | 'not_found' | 'busy'

export type RefreshTokenState = 'usable' | 'spent' | 'revoked'

export type PasswordChange = {
  userId: number
  passwordHash: string
  /** The login that asked for the change, which stays; absent when an operator resets the password. */
  keepSessionId?: string
  now: number
}

export type IdempotencyScope = {
  userId: number
  operation: string
  key: string
}

export type IdempotencyBegin = IdempotencyScope & {
  requestHash: string
  /** Keys claimed before this time have expired and are claimed afresh. */
  expiredBefore: number
  now: number
}

export type StoredResponse = {
  status: number
  /** The JSON body as sent. */
  body: string
}

export type IdempotencyOutcome =
  | { state: 'claimed' }
  | { state: 'in_progress' }
  | { state: 'mismatch' }
  | { state: 'replay'; response: StoredResponse }

// Usage reports

export type UsageGrouping = 'day' | 'model' | 'user' | 'key'

/**
 * What a usage group is keyed by, in the order pages come in: a day (`floor(epoch ms / DAY_MS)`), a model id in code
 * point order ('' for chats from before metering that named no model), a user id, or an API key id (0 for chat
 * messages and `/v1` calls made with an access token).
 */
export type UsageKey<Grouping extends UsageGrouping> = Grouping extends 'model' ? string : number

export type UsageQuery<Grouping extends UsageGrouping> = {
  groupBy: Grouping
  /** Only this user's usage; every user's without it. */
  userId: number | undefined
  /** The first and last day counted, both included. */
  fromDay: number
  toDay: number
  /** Keyset position: the key of the last group of the previous page. */
  after: UsageKey<Grouping> | undefined
  limit: number
}

/** Sums over settled chats: `promptTokens` includes `cachedTokens`; `credits` is what the chats cost. */
export interface UsageTotals {
  requests: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  credits: number
}

/** One group of a usage report; a group by user also has the user's name. */
export type UsageGroup<Grouping extends UsageGrouping> = UsageTotals & {
  key: UsageKey<Grouping>
} & (Grouping extends 'user' ? { username: string } : unknown)

// Accounts and the ledger

export type LedgerPageQuery = {
  userId: number
  beforeId: number | undefined
  limit: number
}

export interface StoredLedgerEntry {
  id: number
  delta: number
  reason: (typeof LEDGER_REASONS)[number]
  chatId: number | null
  balanceAfter: number
  note: string | null
  createdAt: number
  /** The row's chat as it settled; null for other rows, and for a chat pending, refunded or deleted. */
  chat: SettledCharge | null
}

/** `apiKeyId`: the key of the `/v1` call that made the charge; null for a chat message or a call with an access token. */
export type SettledCharge = Pick<StoredChat & { apiKeyId: number | null }, (typeof SETTLED_CHARGE_FIELDS)[number]>

/** Accounts in username order; `prefix` is a username key prefix ('' for all), `after` the key the last page ended on. */
export type AccountPageQuery = {
  prefix: string
  after: string | undefined
  limit: number
}

export interface StoredAccount {
  id: number
  username: string
  usernameKey: string
  tokens: number
  isActive: boolean
  isAdmin: boolean
  createdAt: number
}

/** `actorId` is the administrator who made the adjustment; null when an operator made it from the command line. */
export type BalanceAdjustment = {
  usernameKey: string
  delta: number
  actorId: number | null
  note: string | null
  now: number
}

export type AdjustmentResult =
  | { adjusted: true; username: string; tokens: number }
  | { adjusted: false; reason: 'not_found' }
  | { adjusted: false; reason: 'insufficient_tokens'; balance: number }
  /** `reserved`: what the user's pending chats hold, counted as balance because their refunds may still come. */
  | { adjusted: false; reason: 'balance_limit'; balance: number; reserved: number }

export type AccountDeletion = {
  userId: number
  now: number
}

export type AccountDeletionResult = 'deleted' | 'not_found' | 'busy'

export type AccountActivation = {
  userId: number
  isActive: boolean
  now: number
}

/**
 * `balance`: a balance is not the sum of its ledger; `chain`: a row's balance_after does not follow from the row before;
 * `over_hold`: a chat was charged more than it held; `charge`: a chat's ledger rows do not add up to what it cost (its
 * charge when settled, nothing when refunded).
 */
export type LedgerMismatch =
  | { kind: 'balance'; username: string; tokens: number; ledgerSum: number }
  | { kind: 'over_hold'; username: string; chatId: number; hold: number; cost: number }
  | { kind: 'charge'; username: string; chatId: number; cost: number; ledgerSum: number }
  | {
      kind: 'chain'
      username: string
      ledgerId: number
      previousBalance: number
      delta: number
      balanceAfter: number
    }

export interface LedgerAudit {
  users: number
  entries: number
  mismatches: LedgerMismatch[]
}
