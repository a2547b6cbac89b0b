import { randomUUID } from 'node:crypto'
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
