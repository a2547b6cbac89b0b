import { ChatCompletionsEndpoint, type EndpointOptions } from './chat-completions-endpoint.js'
import { AiProviderError } from './errors.js'
import type {
  AiProvider,
  AiReply,
  AiStreamEvent,
  AiUsage,
  ConversationTurn,
  FinishReason,
  GenerateRequest,
  Sampling
} from './provider.js'

export type OpenAiProviderOptions = EndpointOptions

/** The request body of a Chat Completions call, less `stream` and `stream_options`. */
interface ChatCompletionParams extends Sampling {
  model: string
  messages: ConversationTurn[]
  max_tokens?: number
}

/** The fields of OpenAI's answers this provider reads; compatible servers may leave any of them out. */
interface WireUsage {
  prompt_tokens?: unknown
  completion_tokens?: unknown
  prompt_tokens_details?: { cached_tokens?: unknown } | null
}

interface WireChoice {
  message?: { content?: unknown } | null
  delta?: { content?: unknown } | null
  finish_reason?: string | null
}

interface WireAnswer {
  model?: string
  choices?: WireChoice[]
  usage?: WireUsage | null
}

/** Any OpenAI-compatible Chat Completions server: OpenAI, Ollama, vLLM, llama.cpp, LM Studio, LiteLLM, OpenRouter. */
export class OpenAiProvider implements AiProvider {
  readonly name = 'openai'
  private readonly endpoint: ChatCompletionsEndpoint

  constructor(options: OpenAiProviderOptions) {
    this.endpoint = new ChatCompletionsEndpoint(options)
  }

  async complete(request: GenerateRequest): Promise<AiReply> {
    const completion = (await this.endpoint.post({ ...params(request), stream: false }, request.signal)) as WireAnswer
    const choice = completion.choices?.[0]
    return {
      text: textOf(choice?.message?.content),
      model: completion.model || request.model,
      usage: toUsage(completion.usage),
      finishReason: finishReasonOf(choice?.finish_reason)
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<AiStreamEvent> {
    const body = { ...params(request), stream: true, stream_options: { include_usage: true } }
    let model = request.model
    let usage: AiUsage | null = null
    let finishedWith: string | undefined
    for await (const chunk of this.endpoint.events(body, request.signal) as AsyncIterable<WireAnswer>) {
      model = chunk.model || model
      usage = toUsage(chunk.usage) ?? usage
      const choice = chunk.choices?.[0]
      finishedWith ||= choice?.finish_reason ?? undefined
      const text = textOf(choice?.delta?.content)
      if (text) yield { type: 'delta', text }
    }
    if (!finishedWith) throw new AiProviderError('error', 'the stream ended before the model finished its reply')
    yield { type: 'end', model, usage, finishReason: finishReasonOf(finishedWith) }
  }

  close(): Promise<void> {
    return this.endpoint.close()
  }
}

function params({ model, messages, maxTokens, sampling }: GenerateRequest): ChatCompletionParams {
  return { ...sampling, model, messages, ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }) }
}

function textOf(content: unknown): string {
  return typeof content === 'string' ? content : ''
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
function toUsage(usage: WireUsage | null | undefined): AiUsage | null {
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
