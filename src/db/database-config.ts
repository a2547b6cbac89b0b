import { urlWithoutPassword } from '../url-without-password.js'

/** Where the data lives; `kind` picks the store implementation (see `create-store.ts`). */
export type DatabaseConfig = SqliteDatabase | PostgresDatabase

export interface SqliteDatabase {
  kind: 'sqlite'
  /** A file path, or `:memory:` for a database that lives as long as the process. */
  path: string
  synchronous: 'normal' | 'full'
}

export interface PostgresDatabase {
  kind: 'postgres'
  /** A `postgres://` or `postgresql://` connection URL. */
  url: string
  /** Connections the instance's pool opens at most. */
  poolSize: number
}

export interface DatabaseOptions {
  synchronous: SqliteDatabase['synchronous']
  poolSize: number
}

const POSTGRES_SCHEMES = ['postgres', 'postgresql']

/**
 * `DATABASE_URL` is a PostgreSQL URL, a SQLite file path or `:memory:`; a URL with another scheme names a backend this
 * build does not have.
 */
export function parseDatabase(url: string, { synchronous, poolSize }: DatabaseOptions): DatabaseConfig {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]
  if (scheme && POSTGRES_SCHEMES.includes(scheme.toLowerCase())) return { kind: 'postgres', url, poolSize }
  if (scheme) {
    throw new Error(
      `${scheme}:// is not a database this build can use; give a postgres:// URL, a SQLite file path or :memory:`
    )
  }
  return { kind: 'sqlite', path: url, synchronous }
}

/** How the database is named in messages: a PostgreSQL URL without its password. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return database.path
  return urlWithoutPassword(database.url) ?? 'the PostgreSQL database (its URL could not be parsed)'
}
