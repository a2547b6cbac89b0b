import pg from 'pg'
import type { SessionUser, Store } from '../src/db/store.js'

/**
 * The experiment of bench/session-lookup.ts, kept out of src/ because it is not correct across instances (NOTES.md,
 * "Sessions across instances"): a session cache that PostgreSQL's LISTEN/NOTIFY invalidates.
 */
const CHANNEL = 'session_changes'
const ENTRIES = 10_000
const RECONNECT_MS = 100

/**
 * Whatever `findSessionUser` reads may have changed when sessions are updated or deleted, or users deactivated,
 * promoted, demoted, renamed or deleted. Triggers send the NOTIFY inside the writing transaction, whoever writes (the
 * operators' CLI included); PostgreSQL delivers it when that transaction commits, and never if it rolls back.
 */
export const SESSION_CHANGE_TRIGGERS = `
  create or replace function notify_session_change() returns trigger language plpgsql as $$
  begin perform pg_notify('${CHANNEL}', ''); return null; end $$;
  create or replace trigger sessions_changed after update or delete on sessions
    for each statement execute function notify_session_change();
  create or replace trigger users_changed after update of is_active, is_admin, username or delete on users
    for each statement execute function notify_session_change();`

/**
 * Remembers live sessions while a dedicated connection LISTENs; every notification forgets them all. While that
 * connection is down nothing is remembered or answered from memory, and it forgets again once it listens anew. A
 * lookup that started before a notification does not store its (possibly stale) answer: the generation moved on.
 */
export function notifiedSessionCache(url: string) {
  const live = new Map<string, { userId: number; user: SessionUser }>()
  let generation = 0
  let listener: pg.Client | undefined
  let closed = false
  const forget = () => {
    generation++
    live.clear()
  }

  function listen() {
    const client = new pg.Client({ connectionString: url })
    let lost = false
    const onLost = () => {
      if (lost) return
      lost = true
      if (listener === client) listener = undefined
      forget()
      client.end().catch(() => {})
      if (!closed) setTimeout(listen, RECONNECT_MS)
    }
    client.on('notification', forget)
    client.on('error', onLost)
    client.on('end', onLost)
    client
      .connect()
      .then(() => client.query(`listen ${CHANNEL}`))
      .then(() => {
        if (lost || closed) return
        forget()
        listener = client
      }, onLost)
  }
  listen()

  const wrap = (store: Store): Store => ({
    ...store,
    findSessionUser: async (userId, sessionId) => {
      const remembered = listener && live.get(sessionId)
      if (remembered && remembered.userId === userId) return remembered.user
      const seen = generation
      const user = await store.findSessionUser(userId, sessionId)
      if (user && listener && seen === generation) {
        if (live.size >= ENTRIES) live.clear()
        live.set(sessionId, { userId, user })
      }
      return user
    }
  })
  const close = async () => {
    closed = true
    await listener?.end()
  }
  return { wrap, close }
}
