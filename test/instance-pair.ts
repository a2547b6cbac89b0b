import type { Test } from 'tap'
import { redisPrefixes } from './limits/redis-helper.js'
import { createPostgresDatabase, TEST_DATABASE_URL } from './postgres-test-database.js'
import { stateOf } from './process-requests.js'
import { startServer } from './server-process.js'

const TEST_REDIS_URL = process.env.TEST_REDIS_URL

/**
 * Whether the servers two instances share are there (TEST_DATABASE_URL and TEST_REDIS_URL); without them the tests
 * of the file are skipped, with one loud line naming `what`.
 */
export function instancePairCanRun(what: string): boolean {
  if (TEST_DATABASE_URL && TEST_REDIS_URL) return true
  console.log(`# SKIPPED: ${what} (set TEST_DATABASE_URL and TEST_REDIS_URL)`)
  return false
}

/**
 * Two instances of the server, A and B, as several instances run in production: on one fresh PostgreSQL database and
 * one Redis key prefix of this test's own (both removed when it ends), with TEST_ENV's JWT secret, so that an access
 * token from either is good on both. `env` is given to both. The stored state is read through `state`.
 */
export async function startInstancePair(t: Test, env: Record<string, string> = {}) {
  const database = await createPostgresDatabase(TEST_DATABASE_URL!)
  const { keyPrefix } = redisPrefixes(t, TEST_REDIS_URL!).shared
  const shared = { REDIS_URL: TEST_REDIS_URL!, REDIS_KEY_PREFIX: keyPrefix, ...env }
  const [a, b] = await Promise.all([
    startServer(t, shared, { databaseUrl: database.url }),
    startServer(t, shared, { databaseUrl: database.url })
  ])
  const state = await stateOf(t, database.url)
  // Teardowns run in the order they were added: the instances are killed and the state closed before the drop.
  t.teardown(database.drop)
  return { a, b, databaseUrl: database.url, state }
}
