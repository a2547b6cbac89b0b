import type {
  Admission,
  FailureCounter,
  FailureRule,
  InFlightSlots,
  Limits,
  Slot,
  SlotRule,
  WindowCounter
} from './limits.js'
import { MemoryWindows } from './memory-windows.js'
import { namedLimits } from './named-limits.js'

/** Keys remembered per limit; past this the oldest windows are forgotten, so memory stays bounded under attack. */
export const MAX_KEYS_PER_LIMIT = 100_000

export interface MemoryLimitsOptions {
  maxKeysPerLimit?: number
  now?: () => number
}

/** The limits of this process alone, kept in its memory: every method's work is done before it first awaits. */
export interface MemoryLimits extends Limits {
  /** Keys that hold something (a window or a slot) in any limit, for tests that check nothing is left behind. */
  heldKeys(): number
}

export function createMemoryLimits({
  maxKeysPerLimit = MAX_KEYS_PER_LIMIT,
  now = Date.now
}: MemoryLimitsOptions = {}): MemoryLimits {
  /** Each counter's extra is how many keys it holds. */
  const { named, extras } = namedLimits<() => number>()

  return {
    slots: (name, rule) => named(name, { kind: 'slots', ...rule }, () => memorySlots(rule)),
    failures: (name, rule) =>
      named(name, { kind: 'failures', ...rule }, () =>
        memoryFailures(rule, new MemoryWindows(rule.windowMs, maxKeysPerLimit, now, noFailures))
      ),
    windows: (name, rule) =>
      named(name, { kind: 'windows', ...rule }, () =>
        memoryWindowCounter(new MemoryWindows(rule.windowMs, maxKeysPerLimit, now, noHits))
      ),
    heldKeys: () => extras().reduce((sum, size) => sum + size(), 0),
    checkReadiness: async () => 'ok',
    close: async () => {}
  }
}

interface FailureCounts {
  failures: number
  pending: number
}

const noFailures = (): FailureCounts => ({ failures: 0, pending: 0 })
const noHits = () => ({ hits: 0 })

function memoryFailures(rule: FailureRule, windows: MemoryWindows<FailureCounts>) {
  const counter: FailureCounter = {
    async begin(key): Promise<Admission> {
      const window = windows.current(key)
      if (window.counts.failures + window.counts.pending >= rule.limit) {
        return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(windows.remainingMs(window) / 1000)) }
      }
      window.counts.pending += 1
      return { admitted: true }
    },
    async settle(key, failed) {
      // An attempt begun in a window that has since expired was forgotten with it; its failure counts in the new one.
      const { counts } = windows.current(key)
      counts.pending = Math.max(0, counts.pending - 1)
      if (failed) counts.failures += 1
      if (counts.failures === 0 && counts.pending === 0) windows.forget(key)
    },
    clear: async (key) => windows.forget(key),
    clearStartingWith: async (prefix) => windows.forgetStartingWith(prefix)
  }
  return { counter, extra: () => windows.size }
}

function memoryWindowCounter(windows: MemoryWindows<{ hits: number }>) {
  const counter: WindowCounter = {
    async hit(key) {
      const window = windows.current(key)
      window.counts.hits += 1
      return { count: window.counts.hits, resetInMs: windows.remainingMs(window) }
    }
  }
  return { counter, extra: () => windows.size }
}

/**
 * Slots by key. They need no TTL: the slots die with the process that holds them, which is the only holder there is,
 * so a slot is held until it is given back.
 */
function memorySlots(rule: SlotRule) {
  const held = new Map<string, Set<number>>()
  let lastId = 0
  const counter: InFlightSlots = {
    async acquire(key): Promise<Slot | undefined> {
      const slots = held.get(key) ?? new Set<number>()
      if (slots.size >= rule.maxPerKey) return undefined
      const id = ++lastId
      slots.add(id)
      held.set(key, slots)
      return {
        async release() {
          slots.delete(id)
          if (slots.size === 0 && held.get(key) === slots) held.delete(key)
        }
      }
    }
  }
  return { counter, extra: () => held.size }
}
