import type { Limits } from './limits.js'
import type { LimitsConfig } from './limits-config.js'
import { createMemoryLimits } from './memory.js'

/** The one place that picks a limits implementation; the app makes one and hands it to whoever counts. */
export function createLimits(config: LimitsConfig): Limits {
  switch (config.kind) {
    case 'memory':
      return createMemoryLimits()
  }
}
