import type { Limits } from './limits.js'
import type { LimitsConfig } from './limits-config.js'
import { createMemoryLimits } from './memory.js'

/**
 * The one place that picks a limits implementation; the app makes one and hands it to whoever counts. Redis is
 * connected within a bounded wait and never fails start-up: while it cannot be reached, its calls reject. ioredis is
 * imported only when Redis is configured.
 */
export async function createLimits(config: LimitsConfig): Promise<Limits> {
  switch (config.kind) {
    case 'memory':
      return createMemoryLimits()
    case 'redis':
      return (await import('./redis.js')).connectRedisLimits(config)
  }
}
