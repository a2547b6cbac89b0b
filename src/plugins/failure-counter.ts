interface Window {
  startMs: number
  failures: number
  /** Attempts begun and not yet settled; they count against the limit so a burst cannot outrun it. */
  pending: number
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number }

const DEFAULT_MAX_KEYS = 100_000

/**
 * Counts failed attempts per key in fixed windows and refuses new attempts once `limit` have failed. Only failures
 * count: every attempt is begun, then settled as failed or not, and one that succeeds leaves nothing behind.
 * Attempts still in progress count too, so a burst of simultaneous attempts cannot all pass the check before the
 * first of them fails.
 *
 * Memory is bounded: at most `maxKeys` keys are kept. A window is restarted by moving its key to the end of the map,
 * so the map stays ordered by window start; expired windows are dropped from the front, and past the bound the
 * oldest window is forgotten.
 */
export class FailureCounter {
  private readonly windows = new Map<string, Window>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
    private readonly now: () => number = Date.now
  ) {}

  /** Admits an attempt, which must then be settled, or says how long to wait. */
  begin(key: string): Admission {
    const window = this.current(key)
    if (window.failures + window.pending >= this.limit) {
      const remainingMs = window.startMs + this.windowMs - this.now()
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) }
    }
    window.pending += 1
    return { admitted: true }
  }

  /** Ends an admitted attempt; only a failed one is counted. */
  settle(key: string, failed: boolean) {
    const window = this.current(key)
    window.pending = Math.max(0, window.pending - 1)
    if (failed) window.failures += 1
    if (window.failures === 0 && window.pending === 0) this.windows.delete(key)
  }

  /** How many keys are held, for tests of the memory bound. */
  get size(): number {
    return this.windows.size
  }

  private current(key: string): Window {
    const now = this.now()
    const existing = this.windows.get(key)
    if (existing && !this.expired(existing, now)) return existing
    // Attempts from an expired window are forgotten too: one whose settling was lost cannot hold a slot for ever.
    const window = { startMs: now, failures: 0, pending: 0 }
    this.windows.delete(key)
    this.dropExpired(now)
    this.windows.set(key, window)
    return window
  }

  private expired(window: Window, now: number): boolean {
    return window.startMs + this.windowMs <= now
  }

  private dropExpired(now: number) {
    for (const [key, window] of this.windows) {
      if (this.windows.size < this.maxKeys && !this.expired(window, now)) return
      this.windows.delete(key)
    }
  }
}
