import type { DatabaseConfig } from './database-config.js'
import { createPostgresStore } from './postgres/store.js'
import { createSqliteStore } from './sqlite/store.js'
import type { Store, StoreOptions } from './store.js'

/** The one place that picks a storage implementation: the service, the operators' CLI and the tests all come here. */
export function createStore(database: DatabaseConfig, options: StoreOptions = {}): Store {
  switch (database.kind) {
    case 'sqlite':
      return createSqliteStore(database, options)
    case 'postgres':
      return createPostgresStore(database)
  }
}
