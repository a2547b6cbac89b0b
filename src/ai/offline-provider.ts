import type { AiProvider, AiReply, ConversationTurn } from './provider.js'

const MODEL = 'offline'

/** The zero-configuration default: answers instantly and deterministically, and says that it is not a real model. */
export class OfflineProvider implements AiProvider {
  readonly name = 'offline'

  async generate(conversation: ConversationTurn[]): Promise<AiReply> {
    const lastUserTurn = conversation.findLast((turn) => turn.role === 'user')?.content ?? ''
    return {
      text: `[offline reply] No AI model is configured on this server. You said (${[...lastUserTurn].length} characters): ${lastUserTurn}`,
      model: MODEL
    }
  }
}
