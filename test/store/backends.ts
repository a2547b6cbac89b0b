import { join } from 'node:path'
import type { Test } from 'tap'
import { createStore } from '../../src/db/create-store.js'
import type { DatabaseConfig } from '../../src/db/database-config.js'
import type { Store } from '../../src/db/store.js'
import { createPostgresDatabase, TEST_DATABASE_URL } from '../postgres-test-database.js'
import { openStoredState, type StoredState } from '../stored-state.js'
import { scratchDirectory } from '../scratch-directory.js'

export interface OpenedStore {
  store: Store
  state: StoredState
  /** The DATABASE_URL of an app on this database. */
  databaseUrl: string
  /** Another store on the same database, as a second process of the service would open; closed with the test. */
  openAnother(): Promise<Store>
}

export interface StoreBackend {
  name: string
  /** A store on a fresh, empty database, with its stored state; everything is closed when the test ends. */
  open(t: Test): Promise<OpenedStore>
}

/**
 * A store on `database` and its stored state (opened once the store has migrated), closed when `t` ends, and then
 * `dispose` run (the PostgreSQL backend drops its database).
 */
async function openOn(t: Test, database: DatabaseConfig, dispose = async () => {}): Promise<OpenedStore> {
  const opened: Store[] = []
  let state: StoredState | undefined
  const openAnother = async () => {
    const store = await createStore(database)
    opened.push(store)
    return store
  }
  t.teardown(async () => {
    await state?.close()
    for (const each of opened) await each.close()
    await dispose()
  })
  const store = await openAnother()
  await store.checkReadiness()
  state = await openStoredState(database)
  const databaseUrl = database.kind === 'sqlite' ? database.path : database.url
  return { store, state, databaseUrl, openAnother }
}

/**
 * Every storage implementation this build has; each file of the contract suite runs its tests against each of them.
 * A backend that needs a server (PostgreSQL) is listed when its connection is configured.
 */
export const backends: StoreBackend[] = [
  {
    name: 'sqlite',
    open: async (t) => {
      const directory = scratchDirectory(t)
      const database = { kind: 'sqlite', path: join(directory, 'store.sqlite'), synchronous: 'normal' } as const
      return openOn(t, database)
    }
  }
]

const serverUrl = TEST_DATABASE_URL
if (serverUrl) {
  backends.push({
    name: 'postgres',
    open: async (t) => {
      const { url, drop } = await createPostgresDatabase(serverUrl)
      return openOn(t, { kind: 'postgres', url, poolSize: 10 }, drop)
    }
  })
} else {
  console.log('# SKIPPED: PostgreSQL contract tests (set TEST_DATABASE_URL)')
}
