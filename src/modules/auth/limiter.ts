/** Runs at most `limit` tasks at a time; the others wait their turn in order. */
export class Limiter {
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await task()
    } finally {
      // A waiting task inherits the slot; only when none waits does the count go down.
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }
}
