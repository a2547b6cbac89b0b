export interface Window<T> {
  startMs: number
  counts: T
}

/**
 * Fixed windows per key, in memory, at most `maxKeys` of them. A window is started by moving its key to the end of
 * the map, so the map stays ordered by window start: expired windows are dropped from the front, and past the bound
 * the oldest window is forgotten.
 */
export class MemoryWindows<T> {
  private readonly windows = new Map<string, Window<T>>()

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number,
    private readonly fresh: () => T
  ) {}

  /** The key's window, a new one if it had none or it expired. */
  current(key: string): Window<T> {
    const now = this.now()
    const existing = this.windows.get(key)
    if (existing && !this.expired(existing, now)) return existing
    const window = { startMs: now, counts: this.fresh() }
    this.windows.delete(key)
    this.dropExpired(now)
    this.windows.set(key, window)
    return window
  }

  remainingMs(window: Window<T>): number {
    return window.startMs + this.windowMs - this.now()
  }

  /** Forgets the key's window; true when it had one. */
  forget(key: string): boolean {
    return this.windows.delete(key)
  }

  /** Forgets the windows of every key that starts with `prefix`; returns how many. */
  forgetStartingWith(prefix: string): number {
    const keys = [...this.windows.keys()].filter((key) => key.startsWith(prefix))
    for (const key of keys) this.windows.delete(key)
    return keys.length
  }

  get size(): number {
    return this.windows.size
  }

  private expired(window: Window<T>, now: number): boolean {
    return window.startMs + this.windowMs <= now
  }

  private dropExpired(now: number) {
    for (const [key, window] of this.windows) {
      if (this.windows.size < this.maxKeys && !this.expired(window, now)) return
      this.windows.delete(key)
    }
  }
}
