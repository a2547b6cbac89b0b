export interface ConversationTurn {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface AiReply {
  text: string
  model: string
}

/** A source of AI replies. Implementations throw when no reply came; the caller then refunds the reserved cost. */
export interface AiProvider {
  readonly name: string
  generate(conversation: ConversationTurn[], signal?: AbortSignal): Promise<AiReply>
}
