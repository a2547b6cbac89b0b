import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import type { RedisLimitsConfig } from '../../src/limits/limits-config.js'

let skipAnnounced = false

/** The Redis the Redis tests run on (`TEST_REDIS_URL`); without one they are skipped, with one loud line per file. */
export function testRedisUrl(t: Test): string | undefined {
  const url = process.env.TEST_REDIS_URL
  if (url) return url
  if (!skipAnnounced) console.log('# SKIPPED: Redis limits tests (set TEST_REDIS_URL)')
  skipAnnounced = true
  t.pass('skipped: TEST_REDIS_URL is not set')
  return undefined
}

/**
 * Key prefixes that no other run uses, all under one prefix for this test, whose keys are deleted when it ends.
 * `fresh()` gives limits that share nothing with earlier ones; `shared` is one prefix for limits that must share.
 */
export function redisPrefixes(t: Test, url: string) {
  const base = `ai-chat-test:${randomUUID()}:`
  let made = 0
  t.teardown(() => deleteKeys(url, base))
  const config = (keyPrefix: string): RedisLimitsConfig => ({ kind: 'redis', url, keyPrefix })
  return { fresh: () => config(`${base}${++made}:`), shared: config(`${base}shared:`) }
}

async function deleteKeys(url: string, prefix: string) {
  const client = new Redis(url)
  try {
    for await (const keys of client.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await client.del(...keys)
    }
  } finally {
    client.disconnect()
  }
}
