/** Prices are held as integer micro-credits per 1M tokens: 6 decimal places, so 0.000001 credits is the smallest step. */
const DECIMAL_PLACES = 6
const MICRO_PER_CREDIT = 10n ** BigInt(DECIMAL_PLACES)
const MAX_PRICE = 1_000_000_000
const MAX_PRICE_MICRO = BigInt(MAX_PRICE) * MICRO_PER_CREDIT
const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/

/**
 * A price in credits per 1M tokens, a JSON number or a decimal string such as "0.15", as exact micro-credits per 1M
 * tokens. The value is read from its decimal text, never multiplied as a double. A number's text is `String(value)`,
 * which gives back what the JSON said for every price that can be accepted (at most 15 significant digits, which a
 * double keeps); a string is read as written. Throws an Error whose message says what is wrong.
 */
export function parsePrice(value: unknown): bigint {
  const text = typeof value === 'number' ? String(value) : value
  const match = typeof text === 'string' ? DECIMAL_TEXT.exec(text) : null
  if (match === null) throw new Error('must be a non-negative number (credits per 1M tokens), such as 0.15')
  const [, whole = '', fraction = '', exponent = '0'] = match
  const allDigits = (whole + fraction).replace(/^0+/, '')
  const significantDigits = allDigits.replace(/0+$/, '')
  if (significantDigits === '') return 0n
  const decimalPlaces = fraction.length - Number(exponent) - (allDigits.length - significantDigits.length)
  if (decimalPlaces > DECIMAL_PLACES) throw new Error(`has more than ${DECIMAL_PLACES} decimal places`)
  const tooLarge = new Error(`must be at most ${MAX_PRICE}`)
  // Checked before building the BigInt, so "1e999999999" is refused without a billion-digit number.
  if (significantDigits.length - decimalPlaces > String(MAX_PRICE).length) throw tooLarge
  const micro = BigInt(significantDigits) * 10n ** BigInt(DECIMAL_PLACES - decimalPlaces)
  if (micro > MAX_PRICE_MICRO) throw tooLarge
  return micro
}

/** The shortest decimal text of a price in micro-credits: 150000n is "0.15", 2000000n is "2", 1n is "0.000001". */
export function formatPrice(micro: bigint): string {
  if (micro < 0n) throw new RangeError('a price is never negative')
  const whole = micro / MICRO_PER_CREDIT
  const fraction = (micro % MICRO_PER_CREDIT).toString().padStart(DECIMAL_PLACES, '0').replace(/0+$/, '')
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`
}
