import type { AiProvider, AiReply, AiStreamEvent, ConversationTurn, GenerateRequest } from './provider.js'

const MODEL = 'offline'

/** The zero-configuration default: answers instantly and deterministically, and says that it is not a real model. */
export class OfflineProvider implements AiProvider {
  readonly name = 'offline'

  async complete({ messages }: GenerateRequest): Promise<AiReply> {
    return { text: replyTo(messages), model: MODEL, usage: null }
  }

  async *stream({ messages }: GenerateRequest): AsyncIterable<AiStreamEvent> {
    for (const piece of replyTo(messages).split(/(?<= )/)) yield { type: 'delta', text: piece }
    yield { type: 'end', model: MODEL, usage: null }
  }
}

function replyTo(messages: ConversationTurn[]): string {
  const lastUserTurn = messages.findLast((turn) => turn.role === 'user')?.content ?? ''
  return `[offline reply] No AI model is configured on this server. You said (${[...lastUserTurn].length} characters): ${lastUserTurn}`
}
