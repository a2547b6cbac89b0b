import { isModeratelyRestrictive, scriptNames } from './username-scripts.js'

/** Includes the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), which NFKC leaves as U+115F or U+1160. */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u
/** PRECIS disallows the conjoining jamo (RFC 8264, OldHangulJamo); NFKC turns the compatibility jamo into them. */
const CONJOINING_JAMO = /[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]/u
const LEADING_MARK = /^\p{M}/u
/** UTS #39 5.4: a doubled nonspacing mark, or a pile of them, looks like a single one or like nothing at all. */
const REPEATED_MARK = /(\p{Mn})\1/u
const MARK_PILE = /\p{Mn}{5}/u

function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
}

/**
 * What is wrong with a normalized username beyond the character classes its schema checks (RFC 8265's
 * UsernameCaseMapped profile and UTS #39's mixed-script rule); undefined when nothing is.
 */
export function usernameViolation(username: string): string | undefined {
  const invisible = INVISIBLE.exec(username)?.[0]
  if (invisible !== undefined) return `must not contain the invisible character ${codePoint(invisible)}`
  const jamo = CONJOINING_JAMO.exec(username)?.[0]
  if (jamo !== undefined) return `must not contain the conjoining jamo ${codePoint(jamo)}; write Hangul as syllables`
  if (LEADING_MARK.test(username)) return 'must not start with a combining mark'
  const decomposed = username.normalize('NFD')
  if (REPEATED_MARK.test(decomposed) || MARK_PILE.test(decomposed)) {
    return 'must not repeat a combining mark or stack more than four'
  }
  if (!isModeratelyRestrictive(username)) {
    return (
      `must not mix ${scriptNames(username).join(', ')}: use one script, or Latin with one other ` +
      '(not Cyrillic, Greek or Cherokee), or Latin with Han and kana, Bopomofo or Hangul'
    )
  }
  return undefined
}
