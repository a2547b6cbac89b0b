/**
 * Aborts when no progress was made for `idleMs` (the provider went quiet) or when `totalMs` passed in all,
 * whichever comes first. Each delta of a stream counts as progress.
 */
export class ReplyDeadline {
  private readonly controller = new AbortController()
  private idleTimer: NodeJS.Timeout
  private readonly totalTimer: NodeJS.Timeout

  constructor(
    private readonly idleMs: number,
    totalMs: number
  ) {
    this.idleTimer = this.abortAfter(idleMs)
    this.totalTimer = this.abortAfter(totalMs)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  progressed() {
    clearTimeout(this.idleTimer)
    this.idleTimer = this.abortAfter(this.idleMs)
  }

  /** Unreferenced: the provider's own connection keeps the process alive while a reply is on its way. */
  private abortAfter(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.controller.abort(), ms).unref()
  }

  clear() {
    clearTimeout(this.idleTimer)
    clearTimeout(this.totalTimer)
  }
}
