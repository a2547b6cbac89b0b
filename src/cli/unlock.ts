import { connectRedisLimits } from '../limits/redis.js'
import { unlockAccount } from '../modules/admin/service.js'
import type { CommandContext } from './commands.js'

/**
 * Lifts a user's failed-login lockout in Redis. Without `REDIS_URL` the counts live in the memory of each server
 * process, which this process cannot reach: it says so and fails, and the admin API's unlock route does it instead.
 */
export async function unlock({ store, config, out }: CommandContext, username: string) {
  if (config.limits.kind !== 'redis') {
    throw new Error(
      'without REDIS_URL the failed logins are counted in the memory of the server process, which this command ' +
        `cannot reach; ask the server: POST /api/admin/users/${username}/unlock/ as an administrator (or restart it)`
    )
  }
  const limits = await connectRedisLimits(config.limits)
  try {
    const { username: name, cleared_counts: cleared } = await unlockAccount(
      store,
      limits,
      config.rateLimit.failedLogins,
      username
    )
    out.write(`unlocked ${name}: cleared ${cleared} failed-login ${cleared === 1 ? 'count' : 'counts'}\n`)
  } finally {
    await limits.close()
  }
}
