import fc from 'fast-check'
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base'
import * as o200k from 'gpt-tokenizer/encoding/o200k_base'
import t, { type Test } from 'tap'
import { affordableMaxTokens, costOf, holdFor, type TokenUsage } from '../../src/pricing/cost.js'
import { formatPrice, parsePrice } from '../../src/pricing/decimal-price.js'
import { estimatePromptTokens } from '../../src/pricing/estimate.js'
import { parseModels } from '../../src/pricing/models.js'
import { promptTokenBound } from '../../src/pricing/prompt-bound.js'

/** A price of 0 to 10^6 credits with at most 6 decimals, as its parts and as the text or number a file would hold. */
const priceArbitrary = fc
  .record({
    whole: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_000_000 })),
    millionths: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999 })),
    asString: fc.boolean()
  })
  .map(({ whole, millionths, asString }) => {
    const text = `${whole}.${String(millionths).padStart(6, '0')}`.replace(/\.?0+$/, '') || '0'
    return { whole, millionths, written: asString ? text : Number(text) }
  })

type Price = { whole: number; millionths: number; written: string | number }

const modelArbitrary = fc
  .record({
    request: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 })),
    input: priceArbitrary,
    cachedInput: priceArbitrary,
    output: priceArbitrary,
    maxOutputTokens: fc.integer({ min: 1, max: 1_000_000 })
  })
  .filter(({ request, input, cachedInput, output }) =>
    [
      request,
      input.whole,
      input.millionths,
      cachedInput.whole,
      cachedInput.millionths,
      output.whole,
      output.millionths
    ].some((n) => n > 0)
  )
  .map((prices) => {
    const file = {
      models: {
        m: {
          request: prices.request,
          input: prices.input.written,
          cached_input: prices.cachedInput.written,
          output: prices.output.written,
          max_output_tokens: prices.maxOutputTokens
        }
      }
    }
    return { prices, model: parseModels(file, 'property').defaultModel }
  })

/** Text a chat may hold: any code point, emoji sequences, CJK, whitespace runs, special-token look-alikes. */
const contentArbitrary = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({
    unit: fc.constantFrom(
      '日本語',
      '中文',
      '한국어',
      '😀',
      '👨‍👩‍👧',
      '🇫🇷',
      '\n',
      '\n\n',
      '  ',
      '\t',
      ' the',
      'hello',
      '1234',
      '<|endoftext|>',
      '<|im_start|>',
      '\ufdfa',
      '\ud83d',
      'é'
    ),
    maxLength: 60
  })
)

const messagesArbitrary = fc.array(
  fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: contentArbitrary }),
  { minLength: 1, maxLength: 10 }
)

/** A usage within the bounds the hold was taken for; cached tokens may be reported above the prompt's. */
function usageArbitrary(promptBound: number, maxTokens: number) {
  return fc
    .record({
      promptTokens: fc.integer({ min: 0, max: promptBound }),
      cachedShare: fc.double({ min: 0, max: 1.2, noNaN: true }),
      completionTokens: fc.integer({ min: 0, max: maxTokens })
    })
    .map(({ promptTokens, cachedShare, completionTokens }) => ({
      promptTokens,
      cachedTokens: Math.floor(promptTokens * cachedShare),
      completionTokens
    }))
}

const caseArbitrary = fc
  .record({ priced: modelArbitrary, messages: messagesArbitrary })
  .chain(({ priced, messages }) => {
    const promptBound = promptTokenBound(messages)
    const maxTokens = priced.model.maxOutputTokens ?? 0
    return fc.record({
      priced: fc.constant(priced),
      messages: fc.constant(messages),
      usage: usageArbitrary(promptBound, maxTokens),
      balance: fc.oneof(fc.integer({ min: -10, max: 10_000 }), fc.integer({ min: 0, max: 2 ** 40 }))
    })
  })

function micro(price: Price): bigint {
  return BigInt(price.whole) * 1_000_000n + BigInt(price.millionths)
}

/** costOf by another road: the uncached tokens as a discount on all of them, and the remainder tested for rounding. */
function referenceCost(
  prices: { request: number; input: Price; cachedInput: Price; output: Price },
  usage: TokenUsage
) {
  const prompt = BigInt(usage.promptTokens)
  const cached = BigInt(Math.min(usage.cachedTokens, usage.promptTokens))
  const units =
    prompt * micro(prices.input) -
    cached * (micro(prices.input) - micro(prices.cachedInput)) +
    BigInt(usage.completionTokens) * micro(prices.output)
  const perCredit = 1_000_000n * 1_000_000n
  return Number(BigInt(prices.request) + units / perCredit + (units % perCredit === 0n ? 0n : 1n))
}

function holds<Values>(t: Test, name: string, property: fc.IProperty<Values>, numRuns = 300) {
  t.doesNotThrow(() => fc.assert(property, { numRuns }), name)
}

t.test('a price is read exactly whether written as a string or a number, and formatted back', async (t) => {
  holds(
    t,
    'parsePrice and formatPrice',
    fc.property(priceArbitrary, (price) => {
      const parsed = parsePrice(price.written)
      return parsed === micro(price) && parsePrice(formatPrice(parsed)) === parsed
    }),
    1000
  )
})

t.test('within the bounds of its hold, a call never costs more than the hold, nor less than its request', async (t) => {
  holds(
    t,
    'request ≤ costOf ≤ holdFor',
    fc.property(caseArbitrary, ({ priced: { model }, messages, usage }) => {
      const cost = costOf(model, usage)
      const hold = holdFor(model, promptTokenBound(messages), model.maxOutputTokens ?? 0)
      return model.request >= 0 && model.request <= cost && cost <= hold
    })
  )
})

t.test('costOf equals exact rational arithmetic done another way', async (t) => {
  holds(
    t,
    'costOf = reference',
    fc.property(
      caseArbitrary,
      ({ priced: { model, prices }, usage }) => costOf(model, usage) === referenceCost(prices, usage)
    )
  )
})

t.test('more tokens of any kind never cost less', async (t) => {
  holds(
    t,
    'costOf is monotone in uncached, cached and completion tokens',
    fc.property(caseArbitrary, fc.integer({ min: 1, max: 1_000_000 }), ({ priced: { model }, usage }, extra) => {
      const cachedTokens = Math.min(usage.cachedTokens, usage.promptTokens)
      const base: TokenUsage = { ...usage, cachedTokens }
      const cost = costOf(model, base)
      const more = (change: Partial<TokenUsage>) => costOf(model, { ...base, ...change })
      return (
        more({ promptTokens: base.promptTokens + extra }) >= cost &&
        more({ promptTokens: base.promptTokens + extra, cachedTokens: cachedTokens + extra }) >= cost &&
        more({ completionTokens: base.completionTokens + extra }) >= cost
      )
    })
  )
})

t.test('affordableMaxTokens gives a hold within the balance, and one token more would not be', async (t) => {
  holds(
    t,
    'holdFor(affordableMaxTokens) ≤ balance < holdFor(affordableMaxTokens + 1)',
    fc.property(caseArbitrary, ({ priced: { model }, messages, balance }) => {
      const promptBound = promptTokenBound(messages)
      const maxTokens = affordableMaxTokens(model, promptBound, balance)
      if (maxTokens === -1) return holdFor(model, promptBound, 0) > balance
      if (holdFor(model, promptBound, maxTokens) > balance) return false
      if (model.output === 0n) return maxTokens === Number.MAX_SAFE_INTEGER
      return maxTokens === Number.MAX_SAFE_INTEGER || holdFor(model, promptBound, maxTokens + 1) > balance
    }),
    1000
  )
})

t.test('the estimate of a prompt never exceeds its bound', async (t) => {
  holds(
    t,
    'estimatePromptTokens ≤ promptTokenBound',
    fc.property(messagesArbitrary, (messages) => estimatePromptTokens(messages) <= promptTokenBound(messages))
  )
})

t.test('byte-level BPE never gives more tokens than UTF-8 bytes, the ground of the bound', async (t) => {
  const asText = { disallowedSpecial: new Set<string>() }
  holds(
    t,
    'countTokens ≤ bytes in o200k_base and cl100k_base',
    fc.property(contentArbitrary, (text) => {
      const bytes = Buffer.byteLength(text)
      return o200k.countTokens(text, asText) <= bytes && cl100k.countTokens(text, asText) <= bytes
    }),
    1000
  )
  holds(
    t,
    'a whole ChatML prompt is within promptTokenBound in o200k_base and cl100k_base',
    fc.property(messagesArbitrary, (messages) => {
      const chat = messages.map(({ role, content }) => ({ role: role as 'system' | 'user' | 'assistant', content }))
      const bound = promptTokenBound(messages)
      return (
        o200k.encodeChat(chat, 'gpt-4o', asText).length <= bound &&
        cl100k.encodeChat(chat, 'gpt-4', asText).length <= bound
      )
    })
  )
})
