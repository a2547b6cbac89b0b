/**
 * Every query the service makes, named for the business operation it performs. Methods are async so that a
 * PostgreSQL store can implement the same interface; the SQLite store (`sqlite-store.ts`) is the embedded default.
 */
export interface Store {
  createUser(input: NewUser): Promise<CreateUserResult>
  findUserForLogin(usernameKey: string): Promise<LoginCandidate | undefined>
  getBalance(userId: number): Promise<Balance | undefined>

  startSession(input: NewSession): Promise<void>
  findSessionUser(userId: number, sessionId: string): Promise<SessionUser | undefined>
  rotateRefreshToken(input: RefreshRotation): Promise<RotationResult>

  reserveChat(input: ChatReservation): Promise<ReserveResult>
  settleChat(input: ChatSettlement): Promise<StoredChat>
  refundChat(input: ChatRefund): Promise<void>
  refundPendingChats(now: number): Promise<number>
  listChats(query: ChatPageQuery): Promise<StoredChat[]>
  findChat(userId: number, chatId: number): Promise<StoredChat | undefined>

  /** Whether the database answers and has every migration this build ships; never throws. */
  checkReadiness(): Promise<Readiness>

  close(): Promise<void>
}

export interface Readiness {
  database: 'ok' | 'unreachable'
  migrations: 'ok' | 'pending' | 'unknown'
}

export type NewUser = {
  username: string
  usernameKey: string
  passwordHash: string
  initialTokens: number
  now: number
}

export type CreateUserResult = { created: true; userId: number; tokens: number } | { created: false }

export interface LoginCandidate {
  id: number
  username: string
  passwordHash: string
}

export interface Balance {
  username: string
  tokens: number
}

export type NewSession = {
  sessionId: string
  userId: number
  refreshJti: string
  refreshExpiresAt: number
  now: number
}

export interface SessionUser {
  id: number
  username: string
}

export type RefreshRotation = {
  userId: number
  sessionId: string
  presentedJti: string
  nextJti: string
  nextExpiresAt: number
  now: number
}

/** `reused` means a spent token came back: the whole session was revoked. */
export type RotationResult = 'rotated' | 'reused' | 'invalid'

export type ChatReservation = {
  userId: number
  message: string
  cost: number
  now: number
}

export type ReserveResult =
  { reserved: true; chatId: number; remainingTokens: number } | { reserved: false; balance: number }

export type ChatSettlement = {
  chatId: number
  response: string
  now: number
}

export type ChatRefund = {
  chatId: number
  reason: string
  now: number
}

export type ChatPageQuery = {
  userId: number
  beforeId: number | undefined
  limit: number
}

export interface StoredChat {
  id: number
  message: string
  response: string
  cost: number
  createdAt: number
}
