import t from 'tap'
import { createMemoryLimits } from '../../src/limits/memory.js'
import { sharedLimitsSuite } from './shared-limits.js'

t.test('two apps handed one memory limits object share every limit', async (t) => {
  sharedLimitsSuite(t, () => ({ env: {}, overrides: { limits: createMemoryLimits() } }))
})
