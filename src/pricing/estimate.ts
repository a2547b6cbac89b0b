import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { promptTokenBound } from './prompt-bound.js'

/** OpenAI's count for gpt-4o and later: 3 template tokens a message, 3 to prime the reply. */
const TOKENS_PER_MESSAGE = 3
const TOKENS_PER_REQUEST = 3

/**
 * Tokens of `text` in o200k_base, for a provider that reports no usage. Text that looks like a special token
 * (`<|endoftext|>`) is counted as the plain text a provider makes of a user's message, not refused.
 */
export function estimateTokens(text: string): number {
  return countTokens(text, { disallowedSpecial: new Set() })
}

/** The prompt tokens of these messages in o200k_base, never above promptTokenBound, since the hold assumed that. */
export function estimatePromptTokens(messages: readonly { role: string; content: string }[]): number {
  let estimate = TOKENS_PER_REQUEST
  for (const message of messages) estimate += estimateTokens(message.content) + TOKENS_PER_MESSAGE
  return Math.min(estimate, promptTokenBound(messages))
}
