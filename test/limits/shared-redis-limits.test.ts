import t from 'tap'
import { redisPrefixes, testRedisUrl } from './redis-helper.js'
import { sharedLimitsSuite } from './shared-limits.js'

t.test('two apps, each with its own Redis client on one key prefix, share every limit', async (t) => {
  const url = testRedisUrl(t)
  if (!url) return
  const prefixes = redisPrefixes(t, url)
  sharedLimitsSuite(t, () => ({ env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefixes.fresh().keyPrefix }, overrides: {} }))
})
