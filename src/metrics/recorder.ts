/**
 * How a chat message ended: replied (charged), broke off after some text (charged), refused for its cost or by a
 * spend limit, or
 * refunded after the provider failed, timed out or was busy, after the client went away, or because the database
 * could not record the outcome.
 */
export type ChatOutcome =
  | 'completed'
  | 'incomplete'
  | 'insufficient_tokens'
  | 'spend_limit_reached'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'upstream_busy'
  | 'client_gone'
  | 'storage_unavailable'

/**
 * What the chat service reports about its work. The service depends on this interface only; the metrics plugin
 * implements it with Prometheus counters, and switching metrics off swaps in `ignoreChatEvents`.
 */
export interface ChatRecorder {
  chatFinished(outcome: ChatOutcome): void
  /** Tokens debited when a chat is reserved. */
  tokensCharged(tokens: number): void
  /** Tokens credited back: the whole hold of a chat that failed, the unused part of one that settled. */
  tokensRefunded(tokens: number): void
  /** A provider reported more tokens than a chat's hold assumed (charged at most the hold). */
  usageOverHold(model: string): void
  providerAnswered(provider: string, seconds: number, succeeded: boolean): void
  /** A settled chat message (`chat`) or `/v1` call (`api`) spent this long outside the model's own time. */
  overheadMeasured(origin: 'chat' | 'api', seconds: number): void
}

export const ignoreChatEvents: ChatRecorder = {
  chatFinished() {},
  tokensCharged() {},
  tokensRefunded() {},
  usageOverHold() {},
  providerAnswered() {},
  overheadMeasured() {}
}

/** What the limits report: each call that could not reach them and let its request through (failed open). */
export interface LimitsRecorder {
  limitsUnavailable(): void
}

export const ignoreLimitsEvents: LimitsRecorder = {
  limitsUnavailable() {}
}
