/**
 * Tokens a chat template may add around one message, beyond the bytes of its content: its special tokens, its role
 * and the separators between them. With the roles this service sends (system, user, assistant: one token each in
 * these vocabularies), OpenAI documents 3 per message (4 for gpt-3.5-turbo-0301); ChatML's
 * `<|im_start|>user\n…<|im_end|>\n` is 5; Llama 3's `<|start_header_id|>user<|end_header_id|>\n\n…<|eot_id|>` is 6
 * at most (3 special tokens, the role, and the 2 bytes of "\n\n"); a SentencePiece "▁" prefix adds 1 more.
 */
export const PER_MESSAGE_OVERHEAD = 8

/**
 * Tokens a chat template may add once per request: OpenAI documents 3 to prime the reply; Llama 3 is at most 6
 * (`<|begin_of_text|>` and the assistant header `<|start_header_id|>assistant<|end_header_id|>\n\n`).
 */
export const PER_REQUEST_OVERHEAD = 8

/**
 * An upper bound on the prompt tokens a chat model reads for these messages, proven for the tokenizers in use:
 *
 * - Byte-level BPE (GPT-2, cl100k_base, o200k_base, Llama 3) splits the text at its special tokens, then into
 *   pre-token chunks, and encodes each chunk as tokens that are each a non-empty run of its bytes. So no chunk has
 *   more tokens than bytes, and a message's content, with whatever separator bytes a chunk joins to it, has at most
 *   as many tokens as those bytes. The template's own tokens are counted by the overheads above.
 * - SentencePiece with byte fallback (Llama 2, Mistral) gives each piece at least one character, or one byte when it
 *   falls back; the only piece that covers no byte of the text is the "▁" it may put in front, which the per-message
 *   overhead covers.
 *
 * It does not hold, and the provider may then report more prompt tokens than this, when the provider's tokenizer
 * normalizes text into more characters (NFKC turns U+FDFA, 3 bytes, into 18 characters), when its template injects
 * text of its own (tool schemas, a default system prompt, Llama 3.1's date lines), or for inputs that are not text.
 * The service then charges at most the hold, and counts the call.
 */
export function promptTokenBound(messages: readonly { role: string; content: string }[]): number {
  let bound = PER_REQUEST_OVERHEAD
  for (const message of messages) bound += Buffer.byteLength(message.content, 'utf8') + PER_MESSAGE_OVERHEAD
  return bound
}
