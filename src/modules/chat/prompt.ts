import type { ConversationTurn } from '../../ai/provider.js'
import type { ContextTurn } from '../../db/store.js'

const TITLE_MAX_CHARACTERS = 80

/** The system prompt, then the last `contextMessages` earlier messages in order, then the new message. */
export function buildPrompt(
  systemPrompt: string,
  context: ContextTurn[],
  contextMessages: number,
  message: string
): ConversationTurn[] {
  const earlier = context.flatMap((turn): ConversationTurn[] => [
    { role: 'user', content: turn.message },
    { role: 'assistant', content: turn.response }
  ])
  return [
    { role: 'system', content: systemPrompt },
    ...(contextMessages > 0 ? earlier.slice(-contextMessages) : []),
    { role: 'user', content: message }
  ]
}

/** A conversation is titled after its first message: whitespace folded, cut at 80 characters. */
export function titleFrom(message: string): string {
  const folded = message.trim().replace(/\s+/g, ' ')
  // No more UTF-16 units than the limit means no more characters either: most titles need no splitting.
  if (folded.length <= TITLE_MAX_CHARACTERS) return folded
  const characters = [...folded]
  return characters.length <= TITLE_MAX_CHARACTERS
    ? characters.join('')
    : `${characters.slice(0, TITLE_MAX_CHARACTERS - 1).join('')}…`
}
