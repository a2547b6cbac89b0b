import t from 'tap'
import { formatPrice, parsePrice } from '../../src/pricing/decimal-price.js'

t.test('a price is read from its decimal text as exact micro-credits per 1M tokens', async (t) => {
  t.equal(parsePrice(0.15), 150_000n)
  t.equal(parsePrice('0.15'), 150_000n)
  t.equal(parsePrice(2), 2_000_000n)
  t.equal(parsePrice(0), 0n)
  t.equal(parsePrice(-0), 0n)
  t.equal(parsePrice('0.000001'), 1n)
  t.equal(parsePrice(0.000001), 1n)
  t.equal(parsePrice(0.075), 75_000n)
  t.equal(parsePrice(1_000_000_000), 1_000_000_000_000_000n)
  t.equal(parsePrice(999_999_999.999999), 999_999_999_999_999n)
  t.equal(parsePrice('999999999.999999'), 999_999_999_999_999n)
})

t.test('exponent forms are read exactly, as String(number) writes them', async (t) => {
  t.equal(String(1e-6), '0.000001')
  t.equal(parsePrice('1.5e2'), 150_000_000n)
  t.equal(parsePrice('1.5E+2'), 150_000_000n)
  t.equal(parsePrice('15e-2'), 150_000n)
  t.equal(parsePrice('1e9'), 1_000_000_000_000_000n)
  t.equal(parsePrice('0e999999999'), 0n)
})

t.test('zeros past the sixth decimal place add no precision and are accepted', async (t) => {
  t.equal(parsePrice('1.0000000'), 1_000_000n)
  t.equal(parsePrice('0.1500000000'), 150_000n)
  t.equal(parsePrice('1000000000.000000000'), 1_000_000_000_000_000n)
})

t.test('a price with more than 6 decimal places is refused', async (t) => {
  for (const value of ['0.0000001', 1e-7, 0.1 + 0.2, '1.2345678', '1e-999999999', '1.5e-6']) {
    t.throws(() => parsePrice(value), { message: 'has more than 6 decimal places' }, String(value))
  }
})

t.test('a price above 10^9 credits per 1M tokens is refused', async (t) => {
  for (const value of [1.5e21, '1000000000.000001', 1_000_000_001, '1e10', '1e999999999', '99999999999']) {
    t.throws(() => parsePrice(value), { message: 'must be at most 1000000000' }, String(value))
  }
})

t.test('anything but a non-negative decimal number is refused', async (t) => {
  const message = 'must be a non-negative number (credits per 1M tokens), such as 0.15'
  for (const value of [
    -1,
    '-0.5',
    '-0',
    NaN,
    Infinity,
    '',
    ' 1',
    '1 ',
    '1,5',
    '.5',
    '5.',
    '0x10',
    '01',
    '1e',
    true,
    null,
    undefined,
    {},
    [1],
    1n
  ]) {
    t.throws(() => parsePrice(value), { message }, String(value))
  }
})

t.test('formatPrice writes the shortest decimal text', async (t) => {
  t.equal(formatPrice(150_000n), '0.15')
  t.equal(formatPrice(2_000_000n), '2')
  t.equal(formatPrice(1n), '0.000001')
  t.equal(formatPrice(0n), '0')
  t.equal(formatPrice(10_500_000n), '10.5')
  t.equal(formatPrice(999_999_999_999_999n), '999999999.999999')
  t.throws(() => formatPrice(-1n), RangeError)
})
