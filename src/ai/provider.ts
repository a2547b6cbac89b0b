export interface ConversationTurn {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** Tokens as the provider reported them: `promptTokens` includes `cachedTokens` (prompt tokens served from a cache). */
export interface AiUsage {
  promptTokens: number
  cachedTokens: number
  completionTokens: number
}

export interface AiReply {
  text: string
  model: string
  usage: AiUsage | null
}

export type AiStreamEvent = { type: 'delta'; text: string } | { type: 'end'; model: string; usage: AiUsage | null }

export interface GenerateRequest {
  /** The provider's name for the model. */
  model: string
  messages: ConversationTurn[]
  /** Sent as `max_tokens`: the hold covers this many reply tokens and no more. */
  maxTokens: number | undefined
  /** Aborted when the client goes away or the time limit passes; the provider must stop its upstream call. */
  signal: AbortSignal
}

/**
 * A source of AI replies, whole or as a stream of deltas. Implementations throw (preferably an `AiProviderError`)
 * when no reply came; the caller then refunds the reserved cost.
 */
export interface AiProvider {
  readonly name: string
  complete(request: GenerateRequest): Promise<AiReply>
  stream(request: GenerateRequest): AsyncIterable<AiStreamEvent>
}
