import type { Db } from './connection.js'

/**
 * The one way the SQLite store runs a business operation that writes: a better-sqlite3 transaction function, made once
 * when the store is built, run as BEGIN IMMEDIATE, so that it holds the write lock from its first read (no upgrade
 * from a read lock that could fail half-way). drizzle's `db.transaction()` would build a transaction object, with a
 * query builder per table, on every call. The body is synchronous: nothing in it may await.
 */
export function writeTransaction<Args extends unknown[], Result>(db: Db, body: (...args: Args) => Result) {
  return db.$client.transaction(body).immediate as (...args: Args) => Result
}

/** As `writeTransaction` for reads that must see one snapshot while others write (BEGIN DEFERRED). */
export function readTransaction<Args extends unknown[], Result>(db: Db, body: (...args: Args) => Result) {
  return db.$client.transaction(body).deferred as (...args: Args) => Result
}
