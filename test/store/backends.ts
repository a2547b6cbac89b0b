import { join } from 'node:path'
import type { Test } from 'tap'
import { createStore } from '../../src/db/create-store.js'
import type { DatabaseConfig } from '../../src/db/database-config.js'
import type { Store } from '../../src/db/store.js'
import { openStoredState, type StoredState } from '../stored-state.js'

export interface OpenedStore {
  store: Store
  state: StoredState
  /** Another store on the same database, as a second process of the service would open; closed with the test. */
  openAnother(): Store
}

export interface StoreBackend {
  name: string
  /** A store on a fresh, empty database, with its stored state; everything is closed when the test ends. */
  open(t: Test): Promise<OpenedStore>
}

/** A store on `database` and its stored state, closed when `t` ends. */
function openOn(t: Test, database: DatabaseConfig): OpenedStore {
  const opened: Store[] = []
  const openAnother = () => {
    const store = createStore(database)
    opened.push(store)
    return store
  }
  const store = openAnother()
  const state = openStoredState(database)
  t.teardown(async () => {
    await state.close()
    for (const each of opened) await each.close()
  })
  return { store, state, openAnother }
}

/**
 * Every storage implementation this build has; each file of the contract suite runs its tests against each of them.
 * A backend that needs a server (PostgreSQL) is listed when its connection is configured.
 */
export const backends: StoreBackend[] = [
  {
    name: 'sqlite',
    open: async (t) => openOn(t, { kind: 'sqlite', path: join(t.testdir(), 'store.sqlite'), synchronous: 'normal' })
  }
]
