import type Database from 'better-sqlite3'
import type { SessionUser } from '../store.js'

/** Live sessions remembered at most; past it the cache starts afresh, so its memory has a bound. */
export const SESSION_CACHE_ENTRIES = 10_000

const CLEAR_FUNCTION = 'session_cache_clear'

/**
 * What could end a session or change what a request may do: revoking or deleting sessions, and deactivating,
 * promoting, demoting, renaming or deleting users. TEMP triggers belong to this connection alone and fire for its own
 * writes; writes by other connections (the operator CLI) show in `PRAGMA data_version`.
 */
const INVALIDATING_TRIGGERS = [
  'AFTER UPDATE ON main.sessions',
  'AFTER DELETE ON main.sessions',
  'AFTER UPDATE OF is_active, is_admin, username ON main.users',
  'AFTER DELETE ON main.users'
]

/**
 * Remembers the answer to "is this session live, and whose is it?", which every authenticated request asks. A
 * remembered answer is used only while nothing that could change it has been written: this connection's own writes
 * clear the cache through TEMP triggers, as they run (a rolled-back write clears it too, which is merely
 * conservative), and a commit by any other connection changes `PRAGMA data_version`, which is checked on every
 * lookup. Sessions that are not found are never remembered, so made-up tokens cannot fill the cache.
 */
export function createSessionCache(sqlite: Database.Database) {
  const live = new Map<string, { userId: number; user: SessionUser }>()
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  let seenVersion = dataVersion.get()

  sqlite.function(CLEAR_FUNCTION, { deterministic: false }, () => {
    live.clear()
    return null
  })
  INVALIDATING_TRIGGERS.forEach((event, index) => {
    sqlite.exec(`CREATE TEMP TRIGGER session_cache_${index} ${event} BEGIN SELECT ${CLEAR_FUNCTION}(); END`)
  })

  return function lookUp(
    userId: number,
    sessionId: string,
    query: () => SessionUser | undefined
  ): SessionUser | undefined {
    const version = dataVersion.get()
    if (version !== seenVersion) {
      live.clear()
      seenVersion = version
    }
    const remembered = live.get(sessionId)
    if (remembered?.userId === userId) return remembered.user
    const user = query()
    if (user) {
      if (live.size >= SESSION_CACHE_ENTRIES) live.clear()
      live.set(sessionId, { userId, user })
    }
    return user
  }
}
