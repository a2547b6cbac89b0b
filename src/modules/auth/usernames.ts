/** Usernames are stored in NFKC form (as Django does) and compared case-insensitively through their key. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC')
}

export function usernameKey(username: string): string {
  return normalizeUsername(username).toLowerCase()
}

/**
 * A preValidation step for bodies carrying a username: the length and character rules then apply to the form that is
 * stored, since NFKC can change both (`ﬃ` becomes `ffi`, `¼` becomes `1⁄4`).
 */
export async function normalizeUsernameInBody(request: { body: unknown }) {
  const body = request.body as { username?: unknown } | null
  if (typeof body?.username === 'string') body.username = normalizeUsername(body.username)
}
