import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import type { AiUsage, GenerateRequest } from '../src/ai/provider.js'

/**
 * The metering rules restated for the settlement tests, in BigInt and apart from src/pricing, so that a test compares
 * what the service charged with what the rules say it should have.
 */

/** A model as the tests write it into a models file: token prices in micro-credits per 1M tokens. */
export interface ModelPrices {
  id: string
  request: number
  input: bigint
  cachedInput: bigint
  output: bigint
  maxOutputTokens: number
}

/** A price is per 1M tokens, in micro-credits: tokens × price is in 10^-12 credits. */
const PRICE_UNIT = 10n ** 12n
const MICRO = 1_000_000n

/**
 * A token price of 0 to 100 credits per 1M tokens, as operators price hosted models, or dearer (up to 200 000, a
 * fifth of a credit a token): the cheap ones cost the request and a credit of rounding, the dear ones make holds of
 * hundreds of credits, that a balance affords in part (a lowered max_tokens) or not at all.
 */
const tokenPriceArbitrary = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 0n, max: 100n * MICRO }),
  fc.bigInt({ min: 0n, max: 200_000n * MICRO })
)

export function modelPricesArbitrary(id: string): fc.Arbitrary<ModelPrices> {
  return fc
    .record({
      request: fc.integer({ min: 0, max: 50 }),
      input: tokenPriceArbitrary,
      cachedInput: tokenPriceArbitrary,
      output: tokenPriceArbitrary,
      maxOutputTokens: fc.integer({ min: 1, max: 4096 })
    })
    .filter((model) => model.request > 0 || hasTokenPrices(model))
    .map((model) => ({ id, ...model }))
}

export function hasTokenPrices(model: Omit<ModelPrices, 'id'>): boolean {
  return model.input > 0n || model.cachedInput > 0n || model.output > 0n
}

/** A models file offering these models, the first the default, every price written as a decimal string. */
export function writeModelsFile(path: string, models: ModelPrices[]) {
  const priceText = (micro: bigint) => `${micro / MICRO}.${(micro % MICRO).toString().padStart(6, '0')}`
  const entries = models.map((model) => [
    model.id,
    {
      request: model.request,
      input: priceText(model.input),
      cached_input: priceText(model.cachedInput),
      output: priceText(model.output),
      max_output_tokens: model.maxOutputTokens
    }
  ])
  writeFileSync(path, JSON.stringify({ default: models[0]!.id, models: Object.fromEntries(entries) }))
}

/** The tokens a hold assumes a prompt may read: its UTF-8 bytes, and 8 of template per message and per request. */
export function promptBoundOf(messages: readonly { content: string }[]): number {
  return messages.reduce((bound, message) => bound + Buffer.byteLength(message.content, 'utf8') + 8, 8)
}

/** The worst case: every prompt token at the dearer input price, and all of max_tokens written. */
export function holdOf(model: ModelPrices, promptBound: number, maxTokens: number): number {
  const dearerInput = model.input > model.cachedInput ? model.input : model.cachedInput
  return credits(model.request, BigInt(promptBound) * dearerInput + BigInt(maxTokens) * model.output)
}

export interface ApiUsage {
  prompt_tokens: number
  cached_tokens: number
  completion_tokens: number
}

/** A message's charge: the request and its usage's tokens (just the request without a usage), never above the hold. */
export function chargeOf(model: ModelPrices, usage: ApiUsage | null, hold: number): number {
  if (usage === null) return Math.min(model.request, hold)
  const prompt = BigInt(usage.prompt_tokens)
  const cached = BigInt(Math.min(usage.cached_tokens, usage.prompt_tokens))
  const tokenCost =
    (prompt - cached) * model.input + cached * model.cachedInput + BigInt(usage.completion_tokens) * model.output
  return Math.min(credits(model.request, tokenCost), hold)
}

function credits(request: number, tokenCost: bigint): number {
  return Number(BigInt(request) + (tokenCost + PRICE_UNIT - 1n) / PRICE_UNIT)
}

export type Admission = { admitted: true; maxTokens: number; hold: number } | { admitted: false; smallestHold: number }

/**
 * How a reservation on `balance` goes: the model's max_output_tokens when its hold fits; else, for a model with an
 * output price, the largest max_tokens that fits, if it is at least the smallest call's; else refused, naming the
 * smallest call's hold. The largest fit is searched for, where the service solves for it.
 */
export function admissionOf(
  model: ModelPrices,
  promptBound: number,
  balance: number,
  minOutputTokens: number
): Admission {
  const full = holdOf(model, promptBound, model.maxOutputTokens)
  if (full <= balance) return { admitted: true, maxTokens: model.maxOutputTokens, hold: full }
  if (model.output === 0n) return { admitted: false, smallestHold: full }
  const smallest = Math.min(minOutputTokens, model.maxOutputTokens)
  let fits = -1
  for (let low = 0, high = model.maxOutputTokens; low <= high;) {
    const middle = Math.floor((low + high) / 2)
    if (holdOf(model, promptBound, middle) <= balance) [fits, low] = [middle, middle + 1]
    else high = middle - 1
  }
  if (fits < smallest) return { admitted: false, smallestHold: holdOf(model, promptBound, smallest) }
  return { admitted: true, maxTokens: fits, hold: holdOf(model, promptBound, fits) }
}

/**
 * A provider's usage report as shares (per mille) of what the request allowed: up to twice the prompt bound and
 * max_tokens, so some reports go past the hold's bounds, as a provider's tokenizer or template may; zero included.
 */
export interface UsageShares {
  prompt: number
  cached: number
  completion: number
}

export const usageSharesArbitrary: fc.Arbitrary<UsageShares> = fc.record({
  prompt: fc.integer({ min: 0, max: 2000 }),
  cached: fc.integer({ min: 0, max: 1000 }),
  completion: fc.integer({ min: 0, max: 2000 })
})

export function usageFor(shares: UsageShares, request: GenerateRequest): AiUsage {
  const promptTokens = Math.floor((promptBoundOf(request.messages) * shares.prompt) / 1000)
  return {
    promptTokens,
    cachedTokens: Math.floor((promptTokens * shares.cached) / 1000),
    completionTokens: Math.floor(((request.maxTokens ?? 0) * shares.completion) / 1000)
  }
}

/**
 * Text of prompts and replies: any code point, graphemes, emoji sequences and CJK; not U+0000, which PostgreSQL
 * cannot store in text, a matter of storage rather than of metering.
 */
export const textArbitrary = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 120 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
    fc.string({
      unit: fc.constantFrom('日本語', '中文', '한국어', '😀', '👨‍👩‍👧', '🇫🇷', '\n', ' ', 'hello', 'é', '<|endoftext|>'),
      minLength: 1,
      maxLength: 30
    })
  )
  .map((text) => text.replaceAll('\u0000', ''))
  .filter((text) => /\S/u.test(text))
