import type { StoredChat } from '../src/db/store.js'

/** How long a pending chat's lease lasts, as the service sets it: the service's sweep leaves a live lease alone. */
export const LEASE_MS = 30_000

export interface Reservation {
  chatId: number
  remainingTokens: number
}

/** The statements of the minimal server (bench/minimal-server.ts), one implementation per database. */
export interface MinimalStore {
  /** The username of a live session of a live user, or undefined. */
  sessionUsername(userId: number, sessionId: string): Promise<string | undefined>
  balance(userId: number): Promise<number | undefined>
  /** One transaction: the conditional debit, the pending chat and its ledger row; undefined when tokens are short. */
  reserve(userId: number, message: string, model: string, hold: number, now: number): Promise<Reservation | undefined>
  /** One transaction: the pending chat completed at its cost (the whole hold, so nothing is refunded). */
  settle(chatId: number, response: string, upstreamModel: string, now: number): Promise<void>
  /** The newest `limit` chats of the user's history. */
  latestChats(userId: number, limit: number): Promise<StoredChat[]>
  close(): Promise<void>
}
