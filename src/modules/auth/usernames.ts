import unhomoglyph from 'unhomoglyph'

/**
 * Usernames are stored in NFKC form (as Django does) and compared case-insensitively through their key, which is
 * RFC 8265's UsernameCaseMapped form: NFKC maps widths as its width rule does, and compatibility forms besides.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC')
}

export function usernameKey(username: string): string {
  return normalizeUsername(username).toLowerCase()
}

const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu

/**
 * The UTS #39 confusable skeleton of the key: two names that look alike (`root` and `rооt` with a Cyrillic о, `m` and
 * `rn`) have the same one. Not meant to be shown; confusables.txt comes from the unhomoglyph package.
 */
export function usernameSkeleton(username: string): string {
  return unhomoglyph(usernameKey(username).normalize('NFD').replace(INVISIBLE, '')).normalize('NFD')
}

/** How a new account's name is stored: as given (NFKC), by key, and by skeleton. */
export function usernameColumns(username: string) {
  const normalized = normalizeUsername(username)
  return { username: normalized, usernameKey: usernameKey(normalized), usernameSkeleton: usernameSkeleton(normalized) }
}

/**
 * A preValidation step for bodies carrying a username: the length and character rules then apply to the form that is
 * stored, since NFKC can change both (`ﬃ` becomes `ffi`, `¼` becomes `1⁄4`).
 */
export async function normalizeUsernameInBody(request: { body: unknown }) {
  const body = request.body as { username?: unknown } | null
  if (typeof body?.username === 'string') body.username = normalizeUsername(body.username)
}
