import type { Limits, Slot } from './limits.js'

/** Given when a slot could not be counted: there is nothing to give back. */
const UNCOUNTED_SLOT: Slot = { release: async () => {} }

/**
 * The limits, failing open: a call that cannot reach them admits what it was asked about and reports `unavailable`.
 * Limits only slow abuse down; the money does not depend on them (the database refuses a debit past the balance),
 * so while Redis is down the service keeps serving rather than refusing everyone.
 */
export function failOpen(limits: Limits, unavailable: (error: unknown) => void): Limits {
  const admitting = <T>(call: Promise<T>, admitted: T) =>
    call.catch((error: unknown) => {
      unavailable(error)
      return admitted
    })
  return {
    slots: (name, rule) => {
      const slots = limits.slots(name, rule)
      return { acquire: (key) => admitting(slots.acquire(key), UNCOUNTED_SLOT) }
    },
    failures: (name, rule) => {
      const counter = limits.failures(name, rule)
      return {
        begin: (key) => admitting(counter.begin(key), { admitted: true }),
        settle: (key, failed) => admitting(counter.settle(key, failed), undefined),
        // An operator clearing a lockout must hear that it did not happen.
        clear: (key) => counter.clear(key),
        clearStartingWith: (prefix) => counter.clearStartingWith(prefix)
      }
    },
    windows: (name, rule) => {
      const counter = limits.windows(name, rule)
      return { hit: (key) => admitting(counter.hit(key), { count: 0, resetInMs: rule.windowMs }) }
    },
    checkReadiness: () => limits.checkReadiness(),
    close: () => limits.close()
  }
}

export interface UnavailableReport {
  /** Counts every call that failed open. */
  count: () => void
  warn: (details: { err: unknown; failedOpenSinceLastWarning: number }, message: string) => void
  intervalMs: number
  now?: () => number
}

/** Counts every call that failed open, and warns at most once per interval, so that an outage does not flood the log. */
export function reportUnavailable({ count, warn, intervalMs, now = Date.now }: UnavailableReport) {
  let lastWarningAt = -Infinity
  let failedOpen = 0
  return (error: unknown) => {
    count()
    failedOpen += 1
    if (now() - lastWarningAt < intervalMs) return
    lastWarningAt = now()
    warn(
      { err: error, failedOpenSinceLastWarning: failedOpen },
      'limits unreachable: admitting requests without counting them'
    )
    failedOpen = 0
  }
}
