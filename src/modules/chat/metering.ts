import type { AiUsage, ConversationTurn, Sampling } from '../../ai/provider.js'
import type { ChatUsage } from '../../db/store.js'
import { costOf, holdFor } from '../../pricing/cost.js'
import { estimatePromptTokens, estimateTokens } from '../../pricing/estimate.js'
import type { PricedModel } from '../../pricing/models.js'
import { promptTokenBound } from '../../pricing/prompt-bound.js'

/** What a message will be sent with and what it holds: the worst case of its prompt and its reply. */
export interface ChatPlan {
  model: PricedModel
  messages: ConversationTurn[]
  /** A proven upper bound on the prompt's tokens (`promptTokenBound`). */
  promptBound: number
  /** Sent as `max_tokens` (undefined: the provider's own limit, allowed only for a model without an output price). */
  maxTokens: number | undefined
  /** How the model samples (a `/v1` call's temperature, stop sequences …); the provider's defaults when undefined. */
  sampling: Sampling | undefined
  hold: number
}

export function planChat(
  model: PricedModel,
  messages: ConversationTurn[],
  maxTokens = model.maxOutputTokens,
  sampling?: Sampling
): ChatPlan {
  const promptBound = promptTokenBound(messages)
  return { model, messages, promptBound, maxTokens, sampling, hold: holdFor(model, promptBound, maxTokens ?? 0) }
}

export function hasTokenPrices(model: PricedModel): boolean {
  return model.input > 0n || model.cachedInput > 0n || model.output > 0n
}

/**
 * What a reply is charged, from its usage; `overHold` when a model priced per token was reported more tokens than the
 * hold assumed (prompt tokens above the plan's bound, or completion tokens above its max_tokens).
 */
export interface Charge {
  cost: number
  usage: ChatUsage
  overHold: boolean
}

/**
 * The charge for a reply (whole, or the part delivered before it broke off): the provider's usage when it reported
 * one, else an estimate with a tokenizer for a model priced per token (the estimate is kept within the plan's bounds,
 * so it never passes the hold), else just the request price. A provider's report is charged as reported, but never
 * above the hold. A report past the bounds is flagged even when it costs less than the hold: the bound failed for
 * this provider, and the next report past it may cost more.
 */
export function chargeFor(plan: ChatPlan, text: string, reported: AiUsage | null): Charge {
  const usage = usageOf(plan, text, reported)
  const cost = usage.source === 'none' ? plan.model.request : costOf(plan.model, usage)
  return { cost: Math.min(cost, plan.hold), usage, overHold: hasTokenPrices(plan.model) && pastBounds(plan, usage) }
}

function pastBounds(plan: ChatPlan, usage: ChatUsage): boolean {
  if (usage.source === 'none') return false
  return (
    usage.promptTokens > plan.promptBound || (plan.maxTokens !== undefined && usage.completionTokens > plan.maxTokens)
  )
}

function usageOf(plan: ChatPlan, text: string, reported: AiUsage | null): ChatUsage {
  if (reported) return { source: 'provider', ...reported }
  if (!hasTokenPrices(plan.model)) return { source: 'none' }
  const completionTokens = estimateTokens(text)
  return {
    source: 'estimated',
    promptTokens: estimatePromptTokens(plan.messages),
    cachedTokens: 0,
    completionTokens: plan.maxTokens === undefined ? completionTokens : Math.min(completionTokens, plan.maxTokens)
  }
}
