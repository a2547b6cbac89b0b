/** Counts the replies each user has in flight in this process, to cap them per user. */
export class InFlightLimiter {
  private readonly counts = new Map<number, number>()

  constructor(private readonly maxPerUser: number) {}

  tryAcquire(userId: number): boolean {
    const current = this.counts.get(userId) ?? 0
    if (current >= this.maxPerUser) return false
    this.counts.set(userId, current + 1)
    return true
  }

  release(userId: number) {
    const remaining = (this.counts.get(userId) ?? 1) - 1
    if (remaining > 0) this.counts.set(userId, remaining)
    else this.counts.delete(userId)
  }
}
