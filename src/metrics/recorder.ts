/** How a chat message ended: replied and charged, refused for its cost, or refunded after a failure. */
export type ChatOutcome = 'completed' | 'insufficient_tokens' | 'upstream_error' | 'failed'

/**
 * What the chat service reports about its work. The service depends on this interface only; the metrics plugin
 * implements it with Prometheus counters, and switching metrics off swaps in `ignoreChatEvents`.
 */
export interface ChatRecorder {
  chatFinished(outcome: ChatOutcome): void
  /** Tokens debited when a chat is reserved. */
  tokensCharged(tokens: number): void
  /** Tokens credited back when a reserved chat fails. */
  tokensRefunded(tokens: number): void
  providerAnswered(provider: string, seconds: number, succeeded: boolean): void
}

export const ignoreChatEvents: ChatRecorder = {
  chatFinished() {},
  tokensCharged() {},
  tokensRefunded() {},
  providerAnswered() {}
}
