/** Why a provider gave no (complete) reply: the chat service turns each kind into its own problem response. */
export type AiFailureKind = 'error' | 'timeout' | 'rate_limited'

export class AiProviderError extends Error {
  override name = 'AiProviderError'

  constructor(
    readonly kind: AiFailureKind,
    message: string,
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions
  ) {
    super(message, options)
  }
}
