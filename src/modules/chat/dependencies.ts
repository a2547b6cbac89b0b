import type { AiProvider } from '../../ai/provider.js'
import type { AiConfig } from '../../config.js'
import type { ChargingStore, ChatHistoryStore, IdempotencyStore } from '../../db/store.js'
import type { InFlightSlots } from '../../limits/limits.js'
import type { ChatRecorder } from '../../metrics/recorder.js'
import type { ModelCatalog } from '../../pricing/models.js'
import type { ChatLeases } from './leases.js'
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
