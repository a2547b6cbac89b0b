import type { AiProvider } from '../../ai/provider.js'
import type { AiConfig } from '../../config.js'
import type { ChargingStore, ChatHistoryStore, IdempotencyStore } from '../../db/store.js'
import type { InFlightSlots, Limits } from '../../limits/limits.js'
import type { ChatRecorder } from '../../metrics/recorder.js'
import type { ModelCatalog } from '../../pricing/models.js'
import { chatsInFlight } from './in-flight.js'
import { ChatLeases, type LeaseLog } from './leases.js'
import type { ChatPlan } from './metering.js'

/** What a chat message needs, built once by the chat routes. */
export interface ChatDependencies {
  store: ChargingStore & ChatHistoryStore & IdempotencyStore
  provider: AiProvider
  models: ModelCatalog
  ai: AiConfig
  inFlight: InFlightSlots
  leases: ChatLeases
  recorder: ChatRecorder
}

export interface ChatEngineOptions {
  store: ChatDependencies['store']
  provider: AiProvider
  models: ModelCatalog
  ai: AiConfig
  chatLeaseMs: number
  limits: Limits
  recorder: ChatRecorder
  log: LeaseLog
}

/**
 * What chat messages and `/v1` calls share, built once an app: one per-user in-flight cap over both, and one lease
 * renewer for every chat this instance waits on. Stop `leases` when the app closes.
 */
export function createChatDependencies(options: ChatEngineOptions): ChatDependencies {
  const { store, provider, models, ai, chatLeaseMs, limits, recorder, log } = options
  return {
    store,
    provider,
    models,
    ai,
    inFlight: chatsInFlight(limits, ai, chatLeaseMs),
    leases: new ChatLeases(store, chatLeaseMs, log),
    recorder
  }
}

/** A reply may go on streaming while it makes progress, but never longer than this many idle time limits in all. */
export const MAX_REPLY_IDLE_PERIODS = 10

/** A chat whose hold is debited and whose reply is still to come. */
export interface ReservedChat {
  userId: number
  chatId: number
  /** Null for a stateless `/v1` call. */
  conversationId: number | null
  plan: ChatPlan
  /** The balance right after the hold's debit. */
  remainingTokens: number
}
