import type { Store } from '../../db/store.js'
import { notReady } from '../../errors.js'

/** Ready means the database answers and holds every migration this build ships; anything else is a 503. */
export async function checkReadiness(store: Store) {
  const checks = await store.checkReadiness()
  if (checks.database !== 'ok' || checks.migrations !== 'ok') throw notReady({ ...checks })
  return { status: 'ready' as const, checks: { database: checks.database, migrations: checks.migrations } }
}
