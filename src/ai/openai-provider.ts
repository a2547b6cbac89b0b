import OpenAI from 'openai'
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions'
import { AiProviderError } from './errors.js'
import type { AiProvider, AiReply, AiStreamEvent, AiUsage, FinishReason, GenerateRequest } from './provider.js'

export interface OpenAiProviderOptions {
  baseUrl: string
  apiKey: string | undefined
  timeoutMs: number
}

/** Any OpenAI-compatible Chat Completions server: OpenAI, Ollama, vLLM, llama.cpp, LM Studio, LiteLLM, OpenRouter. */
export class OpenAiProvider implements AiProvider {
  readonly name = 'openai'
  private readonly client: OpenAI

  constructor(options: OpenAiProviderOptions) {
    // Local servers need no key, but the SDK insists on one. Retries stay off: a retry would overrun our time limit.
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey ?? 'not-needed',
      timeout: options.timeoutMs,
      maxRetries: 0
    })
  }

  async complete(request: GenerateRequest): Promise<AiReply> {
    try {
      const completion = await this.client.chat.completions.create(
        { ...params(request), stream: false },
        { signal: request.signal }
      )
      return {
        text: completion.choices[0]?.message?.content ?? '',
        model: completion.model,
        usage: toUsage(completion.usage),
        finishReason: finishReasonOf(completion.choices[0]?.finish_reason)
      }
    } catch (error) {
      throw toProviderError(error)
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<AiStreamEvent> {
    try {
      const chunks = await this.client.chat.completions.create(
        { ...params(request), stream: true, stream_options: { include_usage: true } },
        { signal: request.signal }
      )
      let model = request.model
      let usage: AiUsage | null = null
      let finishedWith: string | undefined
      for await (const chunk of chunks) {
        model = chunk.model || model
        usage = toUsage(chunk.usage) ?? usage
        finishedWith ||= chunk.choices[0]?.finish_reason ?? undefined
        const text = chunk.choices[0]?.delta?.content
        if (text) yield { type: 'delta', text }
      }
      // The SDK ends the iteration quietly when the request is aborted or the connection closes early.
      if (!finishedWith) throw new AiProviderError('error', 'the stream ended before the model finished its reply')
      yield { type: 'end', model, usage, finishReason: finishReasonOf(finishedWith) }
    } catch (error) {
      throw toProviderError(error)
    }
  }
}

function params({ model, messages, maxTokens, sampling }: GenerateRequest): ChatCompletionCreateParamsBase {
  return { ...sampling, model, messages, ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }) }
}

/** The reasons a text reply can end with; tool calls are never asked for, so any other counts as a finish. */
function finishReasonOf(reason: string | null | undefined): FinishReason {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop'
}

/**
 * The usage the provider reported, or null (the reply is then estimated) when it sent none or its counts are not whole
 * numbers ≥ 0, as some compatible servers send them: such a report cannot be priced, and the reply came. Cached
 * tokens are counted within the prompt.
 */
function toUsage(usage: OpenAI.CompletionUsage | null | undefined): AiUsage | null {
  if (!usage || !isCount(usage.prompt_tokens) || !isCount(usage.completion_tokens)) return null
  const cachedTokens = usage.prompt_tokens_details?.cached_tokens
  return {
    promptTokens: usage.prompt_tokens,
    cachedTokens: isCount(cachedTokens) ? Math.min(cachedTokens, usage.prompt_tokens) : 0,
    completionTokens: usage.completion_tokens
  }
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function toProviderError(error: unknown): AiProviderError {
  if (error instanceof AiProviderError) return error
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new AiProviderError('timeout', 'the AI provider did not answer in time', undefined, { cause: error })
  }
  if (error instanceof OpenAI.RateLimitError) {
    const retryAfter = Number(error.headers?.get('retry-after'))
    return new AiProviderError(
      'rate_limited',
      'the AI provider is rate limiting us',
      retryAfter > 0 ? retryAfter : undefined,
      {
        cause: error
      }
    )
  }
  const message = error instanceof Error ? error.message : String(error)
  return new AiProviderError('error', message, undefined, { cause: error })
}
