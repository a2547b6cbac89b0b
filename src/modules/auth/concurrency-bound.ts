import { serverBusy } from '../../problems/errors.js'

export interface ConcurrencyBoundLimits {
  /** Tasks running at once. */
  concurrency: number
  /** Tasks waiting for a turn at most; past it a task is refused at once. */
  maxWaiting: number
  /** How long a task may wait for its turn before it is refused. */
  waitTimeoutMs: number
  /** Tasks of one key, running and waiting together, at most. */
  perKey: number
}

interface Waiter {
  start: () => void
}

/**
 * A bound on concurrency, not a rate limit: runs at most `concurrency` tasks at a time, however many come per second,
 * and the others wait their turn in order. The wait is bounded three ways, each refusing with a 503 `server_busy`
 * error instead of queueing: the queue is full, the turn did not come within `waitTimeoutMs`, or the task's key
 * already holds `perKey` places, so that one key cannot crowd out the others.
 */
export class ConcurrencyBound {
  private running = 0
  private readonly waiting: Waiter[] = []
  private readonly heldByKey = new Map<string, number>()
  private readonly retryAfterSeconds: number

  constructor(private readonly limits: ConcurrencyBoundLimits) {
    this.retryAfterSeconds = Math.max(1, Math.ceil(limits.waitTimeoutMs / 1000))
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const held = this.heldByKey.get(key) ?? 0
    const full = this.running >= this.limits.concurrency && this.waiting.length >= this.limits.maxWaiting
    if (held >= this.limits.perKey || full) throw serverBusy(this.retryAfterSeconds)
    this.heldByKey.set(key, held + 1)
    try {
      await this.turn()
      try {
        return await task()
      } finally {
        this.release()
      }
    } finally {
      const remaining = this.heldByKey.get(key)! - 1
      if (remaining === 0) this.heldByKey.delete(key)
      else this.heldByKey.set(key, remaining)
    }
  }

  /** Keys holding places now, for tests that check nothing is left behind. */
  get keys(): number {
    return this.heldByKey.size
  }

  private turn(): Promise<void> {
    if (this.running < this.limits.concurrency) {
      this.running++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(deadline)
          resolve()
        }
      }
      const deadline = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1)
        reject(serverBusy(this.retryAfterSeconds))
      }, this.limits.waitTimeoutMs)
      this.waiting.push(waiter)
    })
  }

  private release() {
    // A waiting task inherits the slot; only when none waits does the count go down.
    const next = this.waiting.shift()
    if (next) next.start()
    else this.running--
  }
}
