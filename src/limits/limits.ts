/**
 * The limits port: counters that abuse protection keeps per key (a user, an address, a username from an address).
 * Every method is async and one atomic step, so that an implementation shared by several instances (Redis: keys
 * with TTLs, one script per call) keeps the same promises: no check made in one call is acted on in another.
 * Each counter is named, and two counters of one name are the same counter, wherever they were made; a name stands
 * for one rule. Methods reject only when the limits cannot be reached.
 */
export interface Limits {
  /** Slots taken while something runs and given back when it ends: at most `maxPerKey` per key at once. */
  slots(name: string, rule: SlotRule): InFlightSlots
  /** Attempts that fail, in fixed windows: past `limit` failures in a window, new attempts are refused. */
  failures(name: string, rule: FailureRule): FailureCounter
  /** Every hit, in fixed windows that start with the first hit of a key. */
  windows(name: string, rule: WindowRule): WindowCounter
  /** Whether the counts can be reached now; never rejects. */
  checkReadiness(): Promise<LimitsReadiness>
  close(): Promise<void>
}

export type LimitsReadiness = 'ok' | 'unreachable'

export interface SlotRule {
  maxPerKey: number
  /**
   * How long a slot outlives the instance that took it. An instance renews the slots it holds while it runs (every
   * third of this), so a slot is never lost while its holder runs, however long; one whose instance died (killed with
   * the slot held) frees itself within `ttlMs` of the last renewal.
   */
  ttlMs: number
}

export interface FailureRule {
  limit: number
  windowMs: number
}

export interface WindowRule {
  windowMs: number
}

export interface InFlightSlots {
  /** Takes one of the key's slots; undefined, and nothing taken, when all are held. */
  acquire(key: string): Promise<Slot | undefined>
}

export interface Slot {
  /** Gives the slot back; again, it does nothing. Never rejects: a slot that cannot be given back ends with its TTL. */
  release(): Promise<void>
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number }

/**
 * Only failures count: every attempt is begun, then settled as failed or not, and one that succeeds leaves nothing
 * behind. Attempts begun and not yet settled count against the limit too, so a burst of simultaneous attempts cannot
 * all pass the check before the first of them fails; one never settled counts only until its window ends.
 */
export interface FailureCounter {
  /** Admits an attempt, which must then be settled, or says how long to wait until the window ends. */
  begin(key: string): Promise<Admission>
  /** Ends an admitted attempt; only a failed one is counted, in the window current when it ends. */
  settle(key: string, failed: boolean): Promise<void>
  /** Forgets the key's failures (an operator lifting a lockout); true when it had any. */
  clear(key: string): Promise<boolean>
  /**
   * Forgets the failures of every key that starts with `prefix`, and returns how many keys it cleared. Not one atomic
   * step: an attempt settled while it runs may be kept or cleared, as if it came just after or just before.
   */
  clearStartingWith(prefix: string): Promise<number>
}

export interface WindowCount {
  /** Hits of the key in the current window, this one included. */
  count: number
  /** Until the window ends. */
  resetInMs: number
}

export interface WindowCounter {
  /** Counts one hit of the key. */
  hit(key: string): Promise<WindowCount>
}
