/** Usernames are stored in NFKC form (as Django does) and compared case-insensitively through their key. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC')
}

export function usernameKey(username: string): string {
  return normalizeUsername(username).toLowerCase()
}
