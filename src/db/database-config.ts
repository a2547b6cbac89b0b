/** Where the data lives; `kind` picks the store implementation (see `create-store.ts`). */
export type DatabaseConfig = SqliteDatabase

export interface SqliteDatabase {
  kind: 'sqlite'
  /** A file path, or `:memory:` for a database that lives as long as the process. */
  path: string
  synchronous: 'normal' | 'full'
}

/** `DATABASE_URL` is a SQLite file path or `:memory:`; a URL with a scheme names a backend this build does not have. */
export function parseDatabase(url: string, synchronous: SqliteDatabase['synchronous']): DatabaseConfig {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]
  if (scheme) throw new Error(`${scheme}:// is not a database this build can use; give a SQLite file path or :memory:`)
  return { kind: 'sqlite', path: url, synchronous }
}

/** How the database is named in messages. */
export function describeDatabase(database: DatabaseConfig): string {
  return database.path
}
