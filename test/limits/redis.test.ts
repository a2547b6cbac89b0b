import t from 'tap'
import { connectRedisLimits } from '../../src/limits/redis.js'
import { limitsContract } from './contract.js'
import { redisPrefixes, testRedisUrl } from './redis-helper.js'

t.test('the Redis limits keep the contract of the limits port', async (t) => {
  const url = testRedisUrl(t)
  if (!url) return
  const prefixes = redisPrefixes(t, url)
  limitsContract(t, () => connectRedisLimits(prefixes.fresh()))
})
