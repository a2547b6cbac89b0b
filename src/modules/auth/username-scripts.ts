import scriptAliases from 'unicode-match-property-value-ecmascript/data/mappings.js'

/**
 * Script_Extensions comes from the runtime's own RegExp data (the same Unicode version as its NFKC), one expression per
 * script. The names come from the list ECMAScript accepts; a name this runtime does not know (a script newer than its
 * ICU, or Katakana_Or_Hiragana, which has no characters) is left out.
 */
const SCRIPT_PATTERNS = [...new Set(scriptAliases.get('Script_Extensions')!.values())].flatMap((script) => {
  try {
    return [{ script, pattern: new RegExp(`\\p{Script_Extensions=${script}}`, 'u') }]
  } catch {
    return []
  }
})

const WITH_ANY_SCRIPT = /[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]/u

/** UTS #39's augmented script sets: the scripts Japanese, Chinese and Korean writing combine. */
const WRITING_SYSTEMS: Record<string, readonly string[]> = {
  Han: ['Japanese', 'Korean', 'Han_with_Bopomofo'],
  Hiragana: ['Japanese'],
  Katakana: ['Japanese'],
  Hangul: ['Korean'],
  Bopomofo: ['Han_with_Bopomofo']
}

const CJK = ['Japanese', 'Korean', 'Han_with_Bopomofo']

/** The scripts that look most like Latin, so none of them may join it (UTS #39; ICU adds Cherokee). */
const LATIN_LOOKALIKES = ['Cyrillic', 'Greek', 'Cherokee']

type ScriptSet = ReadonlySet<string> | 'any'

function scriptsOf(character: string): string[] {
  return SCRIPT_PATTERNS.filter(({ pattern }) => pattern.test(character)).map(({ script }) => script)
}

function augmentedScriptsOf(character: string): ScriptSet {
  if (WITH_ANY_SCRIPT.test(character)) return 'any'
  const scripts = scriptsOf(character)
  return new Set([...scripts, ...scripts.flatMap((script) => WRITING_SYSTEMS[script] ?? [])])
}

/** The scripts every character belongs to; characters of `ignored` count as any script. */
function resolvedScripts(characters: readonly string[], ignored?: string): ScriptSet {
  let resolved: ScriptSet = 'any'
  for (const character of characters) {
    const scripts = augmentedScriptsOf(character)
    if (scripts === 'any' || (ignored !== undefined && scripts.has(ignored))) continue
    resolved = resolved === 'any' ? scripts : intersection(resolved, scripts)
  }
  return resolved
}

function intersection(left: ReadonlySet<string>, right: ReadonlySet<string>): ReadonlySet<string> {
  return new Set([...left].filter((script) => right.has(script)))
}

const isEmpty = (scripts: ScriptSet) => scripts !== 'any' && scripts.size === 0

/**
 * UTS #39 "moderately restrictive": one script; or Latin with Han and Hiragana or Katakana, with Han and Bopomofo, or
 * with Han and Hangul; or Latin with any one other script but Cyrillic, Greek and Cherokee. Common and Inherited
 * characters (digits, `_`, combining accents) go with any script.
 */
export function isModeratelyRestrictive(text: string): boolean {
  const characters = [...text]
  if (!isEmpty(resolvedScripts(characters))) return true
  const besidesLatin = resolvedScripts(characters, 'Latin')
  if (besidesLatin === 'any' || CJK.some((system) => besidesLatin.has(system))) return true
  return besidesLatin.size > 0 && !LATIN_LOOKALIKES.some((script) => besidesLatin.has(script))
}

/** The scripts the text is written in, for telling someone what mixes; a character of several counts for its first. */
export function scriptNames(text: string): string[] {
  const names = [...text].flatMap((character) =>
    WITH_ANY_SCRIPT.test(character) ? [] : scriptsOf(character).slice(0, 1)
  )
  return [...new Set(names)]
}
