import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import type { Test } from 'tap'
import type { App } from '../src/app.js'
import { FakeOpenAi } from './fake-openai.js'
import { build, signUp } from './helper.js'
import type { ChatRow, StoredState } from './stored-state.js'
import { scratchDirectory } from './scratch-directory.js'

/**
 * What the metering tests run on: two priced models on the fake OpenAI server, and the same prices written out again
 * as exact micro-credits per 1M tokens, from which every test works out its expected numbers by the formula.
 */
export const MODELS = {
  default: 'small',
  models: {
    small: {
      upstream: 'fake-small',
      description: 'Quick answers',
      request: 1,
      input: 15000.5,
      cached_input: '7500.25',
      output: 60000,
      max_output_tokens: 1024
    },
    large: {
      upstream: 'fake-large',
      request: 5,
      input: 25000,
      cached_input: 12500,
      output: 100000,
      max_output_tokens: 4096
    }
  }
}

export interface Prices {
  request: bigint
  input: bigint
  cachedInput: bigint
  output: bigint
  maxTokens: number
}

export const SMALL: Prices = {
  request: 1n,
  input: 15_000_500_000n,
  cachedInput: 7_500_250_000n,
  output: 60_000_000_000n,
  maxTokens: 1024
}
export const LARGE: Prices = {
  request: 5n,
  input: 25_000_000_000n,
  cachedInput: 12_500_000_000n,
  output: 100_000_000_000n,
  maxTokens: 4096
}

export const SYSTEM_PROMPT = 'You are a helpful assistant.'
export const MESSAGE = 'What is the capital of France?'

/** Micro-credits per 1M tokens: a token count times a price is in 10^-12 credits. */
const PER_CREDIT = 10n ** 12n

function ceilDiv(dividend: bigint, divisor: bigint) {
  return (dividend + divisor - 1n) / divisor
}

/** request + ceil((uncached·input + cached·cached_input + completion·output) / 10^12). */
export function expectedCost(prices: Prices, usage: { prompt: number; cached?: number; completion: number }) {
  const cached = BigInt(usage.cached ?? 0)
  const uncached = BigInt(usage.prompt) - cached
  const tokens = uncached * prices.input + cached * prices.cachedInput + BigInt(usage.completion) * prices.output
  return Number(prices.request + ceilDiv(tokens, PER_CREDIT))
}

/** request + ceil((P·input + M·output) / 10^12), the input at the dearer of its two prices. */
export function expectedHold(prices: Prices, promptBound: number, maxTokens = prices.maxTokens) {
  const input = prices.input > prices.cachedInput ? prices.input : prices.cachedInput
  return Number(prices.request + ceilDiv(BigInt(promptBound) * input + BigInt(maxTokens) * prices.output, PER_CREDIT))
}

/** The system prompt and these turns: 8 tokens a request, and each message's UTF-8 bytes plus 8. */
export function promptBoundOf(...turns: string[]) {
  return [SYSTEM_PROMPT, ...turns].reduce((bound, content) => bound + Buffer.byteLength(content) + 8, 8)
}

/** o200k_base: 3 tokens a request, each message's tokens plus 3; never above the bound. */
export function estimatedPromptOf(...turns: string[]) {
  const estimate = [SYSTEM_PROMPT, ...turns].reduce((tokens, content) => tokens + countTokens(content) + 3, 3)
  return Math.min(estimate, promptBoundOf(...turns))
}

export function estimatedCompletionOf(text: string) {
  return countTokens(text)
}

/** The app with the two models on a fake model server, and a signed-up user; `env` may override any variable. */
export async function setup(t: Test, env: Record<string, string> = {}, logLines?: string[]) {
  const fake = await FakeOpenAi.start(t)
  const folder = scratchDirectory(t)
  const modelsFile = join(folder, 'models.json')
  writeFileSync(modelsFile, JSON.stringify(MODELS))
  const logStream = logLines && { write: (line: string) => void logLines.push(line) }
  const built = await build(
    t,
    {
      AI_PROVIDER: 'openai',
      AI_BASE_URL: fake.baseUrl,
      AI_SYSTEM_PROMPT: SYSTEM_PROMPT,
      AI_TIMEOUT_MS: '2000',
      MODELS_FILE: modelsFile,
      DATABASE_URL: join(folder, 'test.sqlite'),
      ...env
    },
    logStream ? { logStream } : {}
  )
  const user = await signUp(built.app)
  return { ...built, ...user, fake }
}

export function chat(
  app: App,
  headers: Record<string, string>,
  payload: { message: string; model?: string; conversation_id?: number }
) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload })
}

const listening = new WeakMap<App, string>()

/** Posts a chat asking for Server-Sent Events over real HTTP; the app listens on a free port at its first call. */
export async function streamChat(app: App, access: string, message: string, signal?: AbortSignal) {
  const baseUrl = listening.get(app) ?? (await app.listen({ port: 0, host: '127.0.0.1' }))
  listening.set(app, baseUrl)
  return fetch(`${baseUrl}/api/chat_msg/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ message }),
    signal
  })
}

export async function balanceOf(app: App, headers: Record<string, string>): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })).json().tokens
}

/** The ledger rows of the user's chats (the signup grant left out), as reason and delta. */
export async function chatLedger(state: StoredState) {
  return (await state.ledger()).filter((row) => row.reason !== 'signup').map(({ reason, delta }) => ({ reason, delta }))
}

/** The ledger a held chat leaves: its hold, and the unused part credited back when there is one. */
export function heldAndSettled(hold: number, cost: number) {
  const held = { reason: 'chat', delta: -hold }
  return cost < hold ? [held, { reason: 'settle', delta: hold - cost }] : [held]
}

export async function onlyChat(state: StoredState): Promise<ChatRow> {
  const chats = await state.chats()
  if (chats.length !== 1) throw new Error(`expected one chat, found ${chats.length}`)
  return chats[0]!
}

/** Balances equal their ledgers, and every chat's ledger rows add up to its charge, within its hold. */
export async function assertBooksBalance(t: Test, app: App, state: StoredState) {
  t.same(await state.ledgerMismatches(), [], 'every balance is the sum of its ledger')
  t.same((await app.store.auditLedger()).mismatches, [], 'the audit finds nothing')
}
