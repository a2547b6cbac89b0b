import type { ConversationTurn, Sampling } from '../../ai/provider.js'
import type { StoredApiKey } from '../../db/store.js'
import { estimatePromptTokens, estimateTokens } from '../../pricing/estimate.js'
import type { ModelCatalog, PricedModel } from '../../pricing/models.js'
import { modelNotAllowed, validationFailed } from '../../problems/errors.js'
import { planChat, type ChatPlan } from '../chat/metering.js'
import type { MeteredReply } from '../chat/service.js'
import type { Completion, CompletionRequest, CompletionUsage, ModelList } from './schemas.js'

/** Who a `/v1` call is from: a user, through one of their API keys or with an access token. */
export interface Caller {
  userId: number
  apiKey: StoredApiKey | undefined
}

/** The models a caller may use: the key's, or every model offered. */
export function allowedModels(models: ModelCatalog, apiKey: StoredApiKey | undefined): PricedModel[] {
  const offered = [...models.models.values()]
  const keyModels = apiKey?.models
  return keyModels ? offered.filter((model) => keyModels.includes(model.id)) : offered
}

export function modelList(models: ModelCatalog, apiKey: StoredApiKey | undefined, created: number): ModelList {
  return {
    object: 'list',
    data: allowedModels(models, apiKey).map((model) => ({
      id: model.id,
      object: 'model',
      created,
      owned_by: 'ai-chat-api'
    }))
  }
}

/** The model a request names, if the caller may use it; 400 `model_not_found` (OpenAI's code) when not. */
export function modelFor(models: ModelCatalog, caller: Caller, id: string): PricedModel {
  const allowed = allowedModels(models, caller.apiKey)
  const model = allowed.find((candidate) => candidate.id === id)
  if (!model)
    throw modelNotAllowed(
      id,
      allowed.map((candidate) => candidate.id)
    )
  return model
}

/**
 * What the call will be sent with and holds: its messages as given (no system prompt of ours: the caller brings its
 * own), and a reply of at most `max_completion_tokens` (or the older `max_tokens`), which may not pass the model's own
 * `max_output_tokens`, since the hold must cover it.
 */
export function planCall(model: PricedModel, request: CompletionRequest): ChatPlan {
  const requested = requestedMaxTokens(request)
  if (requested !== undefined && model.maxOutputTokens !== undefined && requested > model.maxOutputTokens) {
    const param = request.max_completion_tokens === undefined ? 'max_tokens' : 'max_completion_tokens'
    throw validationFailed('body', [
      { pointer: `#/${param}`, message: `must be at most ${model.maxOutputTokens} for ${model.id}` }
    ])
  }
  return planChat(model, turnsOf(request), requested ?? model.maxOutputTokens, samplingOf(request))
}

function requestedMaxTokens(request: CompletionRequest): number | undefined {
  const { max_tokens: maxTokens, max_completion_tokens: maxCompletionTokens } = request
  if (maxTokens !== undefined && maxCompletionTokens !== undefined && maxTokens !== maxCompletionTokens) {
    throw validationFailed('body', [
      { pointer: '#/max_tokens', message: 'must equal max_completion_tokens when both are given' }
    ])
  }
  return maxCompletionTokens ?? maxTokens
}

function turnsOf(request: CompletionRequest): ConversationTurn[] {
  return request.messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content: typeof message.content === 'string' ? message.content : message.content.map((part) => part.text).join('')
  }))
}

function samplingOf(request: CompletionRequest): Sampling {
  const { temperature, top_p, stop, presence_penalty, frequency_penalty, seed, user } = request
  const sampling: Sampling = { temperature, top_p, stop, presence_penalty, frequency_penalty, seed, user }
  return Object.fromEntries(Object.entries(sampling).filter(([, value]) => value !== undefined))
}

/** What the chats row keeps of a stateless call: its last message (the whole prompt stays with the caller). */
export function recordedMessage(plan: ChatPlan): string {
  return plan.messages.at(-1)!.content
}

/** The answer in OpenAI's `chat.completion` shape. */
export function completionOf(metered: MeteredReply, model: PricedModel): Completion {
  return {
    id: completionId(metered.chat.chatId),
    object: 'chat.completion',
    created: unixSeconds(metered.settled.createdAt),
    model: model.id,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: metered.settled.response, refusal: null },
        logprobs: null,
        finish_reason: metered.finishReason
      }
    ],
    usage: usageOf(metered)
  }
}

export const completionId = (chatId: number) => `chatcmpl-${chatId}`

export const unixSeconds = (epochMs: number) => Math.floor(epochMs / 1000)

/**
 * The call's tokens as settled; for a model without token prices whose provider reported none (nothing was counted
 * for the charge), counted here with the tokenizer, since OpenAI's clients expect a usage.
 */
function usageOf({ chat, settled }: MeteredReply): CompletionUsage {
  const promptTokens = settled.promptTokens ?? estimatePromptTokens(chat.plan.messages)
  const completionTokens = settled.completionTokens ?? estimateTokens(settled.response)
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: settled.cachedTokens ?? 0 },
    cost: settled.cost,
    remaining_tokens: settled.remainingTokens ?? chat.remainingTokens
  }
}
