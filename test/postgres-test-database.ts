import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server the PostgreSQL tests run on; unset, they are skipped, and say so. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL

/**
 * A fresh, empty database on the server of `serverUrl` (the TEST_DATABASE_URL server for tests; the benchmark's
 * BENCH_DATABASE_URL), named `<prefix>_<random>`: its URL, and `drop` for when the caller is done with it. A database
 * rather than a schema, since drizzle-kit's migrations name the public schema.
 */
export async function createPostgresDatabase(serverUrl: string, prefix = 't') {
  const name = `${prefix}_${randomBytes(8).toString('hex')}`
  await onServer(serverUrl, `create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => onServer(serverUrl, `drop database if exists ${name} with (force)`) }
}

async function onServer(serverUrl: string, statement: string) {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
