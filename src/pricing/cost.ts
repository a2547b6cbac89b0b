import type { PricedModel } from './models.js'

/** What a provider reports for one call. `promptTokens` includes `cachedTokens`, as OpenAI reports them. */
export interface TokenUsage {
  promptTokens: number
  cachedTokens: number
  completionTokens: number
}

/** Token prices are micro-credits (10^-6) per 1M (10^6) tokens, so tokens × price is in 10^-12 credits. */
const PRICE_UNIT = 10n ** 12n
const MAX_RESULT = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * The credits a call costs: its request price plus its tokens, rounded up to a whole credit. Cached tokens are
 * clamped to [0, promptTokens]. Throws a RangeError for a count that is not a whole number, or a negative one.
 */
export function costOf(model: PricedModel, usage: TokenUsage): number {
  const prompt = count(usage.promptTokens, 'promptTokens')
  const cached = clamp(count(usage.cachedTokens, 'cachedTokens', false), 0n, prompt)
  const completion = count(usage.completionTokens, 'completionTokens')
  const tokenCost = (prompt - cached) * model.input + cached * model.cachedInput + completion * model.output
  return credits(BigInt(model.request) + ceilDiv(tokenCost, PRICE_UNIT))
}

/**
 * The most a call can cost when its prompt reads at most `promptBound` tokens and it writes at most `maxTokens`:
 * every prompt token at the dearer of the cached and uncached price. costOf ≤ holdFor for every such usage, since
 * each part of the sum is at most its part here and rounding up is monotone.
 */
export function holdFor(model: PricedModel, promptBound: number, maxTokens: number): number {
  const tokenCost =
    count(promptBound, 'promptBound') * dearerInput(model) + count(maxTokens, 'maxTokens') * model.output
  return credits(BigInt(model.request) + ceilDiv(tokenCost, PRICE_UNIT))
}

/**
 * The largest max_tokens whose hold fits in `balance`, or -1 when even 0 does not. Capped at
 * Number.MAX_SAFE_INTEGER, which is also the answer when completion tokens are free and the rest fits.
 */
export function affordableMaxTokens(model: PricedModel, promptBound: number, balance: number): number {
  // ceil(x / U) ≤ b exactly when x ≤ b·U, so the hold fits when promptCost + M·output ≤ (balance − request)·U.
  const room =
    (count(balance, 'balance', false) - BigInt(model.request)) * PRICE_UNIT -
    count(promptBound, 'promptBound') * dearerInput(model)
  if (room < 0n) return -1
  if (model.output === 0n) return Number.MAX_SAFE_INTEGER
  const maxTokens = room / model.output
  return maxTokens > MAX_RESULT ? Number.MAX_SAFE_INTEGER : Number(maxTokens)
}

function dearerInput(model: PricedModel): bigint {
  return model.input > model.cachedInput ? model.input : model.cachedInput
}

function count(value: number, name: string, nonNegative = true): bigint {
  if (!Number.isSafeInteger(value) || (nonNegative && value < 0)) {
    throw new RangeError(`${name} must be a ${nonNegative ? 'non-negative ' : ''}whole number, not ${value}`)
  }
  return BigInt(value)
}

function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value
}

function ceilDiv(dividend: bigint, divisor: bigint): bigint {
  return (dividend + divisor - 1n) / divisor
}

function credits(value: bigint): number {
  if (value > MAX_RESULT) throw new RangeError(`${value} credits is more than a balance can hold`)
  return Number(value)
}
