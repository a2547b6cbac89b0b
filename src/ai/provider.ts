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

/** Why the model stopped, as OpenAI names it; a provider that does not say is taken to have finished (`stop`). */
export type FinishReason = 'stop' | 'length' | 'content_filter'

export interface AiReply {
  text: string
  model: string
  usage: AiUsage | null
  finishReason?: FinishReason
}

export type AiStreamEvent =
  { type: 'delta'; text: string } | { type: 'end'; model: string; usage: AiUsage | null; finishReason?: FinishReason }

/** OpenAI's sampling parameters, passed on as given. */
export interface Sampling {
  temperature?: number
  top_p?: number
  stop?: string | string[]
  presence_penalty?: number
  frequency_penalty?: number
  seed?: number
  /** The end user the caller names, for the provider's abuse monitoring. */
  user?: string
}

export interface GenerateRequest {
  /** The provider's name for the model. */
  model: string
  messages: ConversationTurn[]
  /** Sent as `max_tokens`: the hold covers this many reply tokens and no more. */
  maxTokens: number | undefined
  sampling?: Sampling
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
  /** Releases what the provider holds open (its connections); called when the app that made it closes. */
  close?(): Promise<void>
}
