import t from 'tap'
import { affordableMaxTokens, costOf, holdFor } from '../../src/pricing/cost.js'
import type { PricedModel } from '../../src/pricing/models.js'

function model(prices: Partial<PricedModel>): PricedModel {
  return {
    id: 'small',
    upstream: 'small',
    description: undefined,
    request: 0,
    input: 0n,
    cachedInput: 0n,
    output: 0n,
    maxOutputTokens: 1024,
    ...prices
  }
}

// request 1, input 0.15, cached input 0.075, output 0.6 credits per 1M tokens
const small = model({ request: 1, input: 150_000n, cachedInput: 75_000n, output: 600_000n })

t.test('a call costs its request price plus its tokens, rounded up to a whole credit', async (t) => {
  // 1 + ceil((1000·150000 + 500·600000) / 10^12) = 1 + ceil(0.00045) = 2
  t.equal(costOf(small, { promptTokens: 1000, cachedTokens: 0, completionTokens: 500 }), 2)
  // 1 + ceil((6·10^6·150000 + 4·10^6·75000 + 10^6·600000) / 10^12) = 1 + ceil(1.8) = 3
  t.equal(costOf(small, { promptTokens: 10_000_000, cachedTokens: 4_000_000, completionTokens: 1_000_000 }), 3)
  t.equal(costOf(small, { promptTokens: 0, cachedTokens: 0, completionTokens: 0 }), 1)
})

t.test('a whole number of credits is not rounded up', async (t) => {
  const oneCreditPerMillion = model({ input: 1_000_000n })
  t.equal(costOf(oneCreditPerMillion, { promptTokens: 1_000_000, cachedTokens: 0, completionTokens: 0 }), 1)
  t.equal(costOf(oneCreditPerMillion, { promptTokens: 1_000_001, cachedTokens: 0, completionTokens: 0 }), 2)
  t.equal(costOf(oneCreditPerMillion, { promptTokens: 1, cachedTokens: 0, completionTokens: 0 }), 1)
})

t.test('cached tokens are priced apart, and clamped to the prompt tokens', async (t) => {
  const cachedOnly = model({ input: 2_000_000n, cachedInput: 1_000_000n })
  t.equal(costOf(cachedOnly, { promptTokens: 3_000_000, cachedTokens: 1_000_000, completionTokens: 0 }), 5)
  t.equal(costOf(cachedOnly, { promptTokens: 3_000_000, cachedTokens: 9_000_000, completionTokens: 0 }), 3)
  t.equal(costOf(cachedOnly, { promptTokens: 3_000_000, cachedTokens: -5, completionTokens: 0 }), 6)
})

t.test('sums past 2^53 stay exact', async (t) => {
  // output 1000 credits per 1M: 10^7 completion tokens are 10^16 units; one prompt token at 0.000001 adds 1 unit,
  // which a double drops (10^16 + 1 is not one), so only exact arithmetic charges the 10001st credit.
  const dear = model({ input: 1n, output: 1_000_000_000n })
  t.equal(10_000_000 * 1_000_000_000 + 1, 10_000_000 * 1_000_000_000)
  t.equal(costOf(dear, { promptTokens: 1, cachedTokens: 0, completionTokens: 10_000_000 }), 10_001)
  // the largest price: 999999999999999 · 10^7 / 10^12 = 9999999999.99999, rounded up
  const dearest = model({ output: 999_999_999_999_999n })
  t.equal(costOf(dearest, { promptTokens: 0, cachedTokens: 0, completionTokens: 10_000_000 }), 10_000_000_000)
})

t.test('a count that is not a non-negative whole number is refused', async (t) => {
  for (const promptTokens of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    t.throws(() => costOf(small, { promptTokens, cachedTokens: 0, completionTokens: 0 }), {
      name: 'RangeError',
      message: `promptTokens must be a non-negative whole number, not ${promptTokens}`
    })
  }
  t.throws(() => costOf(small, { promptTokens: 1, cachedTokens: 0.5, completionTokens: 0 }), {
    message: 'cachedTokens must be a whole number, not 0.5'
  })
  t.throws(() => holdFor(small, 10, -1), { message: 'maxTokens must be a non-negative whole number, not -1' })
  t.throws(() => affordableMaxTokens(small, 10, 1.5), { message: 'balance must be a whole number, not 1.5' })
})

t.test('a cost past Number.MAX_SAFE_INTEGER credits is refused', async (t) => {
  const dearest = model({ request: 1_000_000_000, output: 1_000_000_000_000_000n })
  t.throws(() => costOf(dearest, { promptTokens: 0, cachedTokens: 0, completionTokens: 2 ** 53 - 1 }), RangeError)
  t.throws(() => holdFor(dearest, 0, 2 ** 53 - 1), {
    name: 'RangeError',
    message: '9007199255740991000 credits is more than a balance can hold'
  })
})

t.test('the hold prices every prompt token at the dearer input price and every allowed output token', async (t) => {
  // 1 + ceil((1000·150000 + 500·600000) / 10^12) = 2
  t.equal(holdFor(small, 1000, 500), 2)
  // 1 + ceil((10^7·150000 + 10^6·600000) / 10^12) = 1 + ceil(2.1) = 4
  t.equal(holdFor(small, 10_000_000, 1_000_000), 4)
  // cached dearer than uncached: 3·10^6 tokens at 2 credits per 1M
  t.equal(holdFor(model({ input: 1_000_000n, cachedInput: 2_000_000n }), 3_000_000, 0), 6)
  t.equal(holdFor(small, 0, 0), 1)
})

t.test('affordableMaxTokens is the largest max_tokens whose hold fits the balance', async (t) => {
  // room = (2 − 1)·10^12 − 1000·150000 = 999850000000; / 600000 = 1666416.6…
  t.equal(affordableMaxTokens(small, 1000, 2), 1_666_416)
  t.equal(holdFor(small, 1000, 1_666_416), 2)
  t.equal(holdFor(small, 1000, 1_666_417), 3)
  t.equal(affordableMaxTokens(small, 1000, 3), 3_333_083)
})

t.test('affordableMaxTokens is -1 when not even the prompt fits', async (t) => {
  t.equal(affordableMaxTokens(small, 1000, 1), -1)
  t.equal(affordableMaxTokens(small, 0, 0), -1)
  t.equal(affordableMaxTokens(small, 0, -5), -1)
  t.equal(affordableMaxTokens(small, 0, 1), 0)
  t.equal(affordableMaxTokens(model({ input: 1_000_000n, output: 1_000_000n }), 1_000_001, 1), -1)
})

t.test(
  'affordableMaxTokens has no limit from the balance when output is free, or when it would pass 2^53',
  async (t) => {
    const perCall = model({ request: 100, input: 0n, output: 0n })
    t.equal(affordableMaxTokens(perCall, 5000, 100), Number.MAX_SAFE_INTEGER)
    t.equal(affordableMaxTokens(perCall, 5000, 99), -1)
    const cheapest = model({ output: 1n })
    t.equal(affordableMaxTokens(cheapest, 0, 9008), Number.MAX_SAFE_INTEGER)
    t.equal(affordableMaxTokens(cheapest, 0, 9007), 9_007_000_000_000_000)
  }
)
