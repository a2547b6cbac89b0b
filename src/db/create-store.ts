import type { DatabaseConfig } from './database-config.js'
import type { Store, StoreOptions } from './store.js'

/**
 * The one place that picks a storage implementation: the service, the operators' CLI and the tests all come here.
 * Each is imported only when chosen: a service on SQLite never loads pg and drizzle's PostgreSQL dialect (about a
 * fifth of a second of start-up and their memory), nor one on PostgreSQL better-sqlite3.
 */
export async function createStore(database: DatabaseConfig, options: StoreOptions = {}): Promise<Store> {
  switch (database.kind) {
    case 'sqlite':
      return (await import('./sqlite/store.js')).createSqliteStore(database, options)
    case 'postgres':
      return (await import('./postgres/store.js')).createPostgresStore(database)
  }
}
