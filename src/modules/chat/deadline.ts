/**
 * The signal a provider call runs under. It aborts when the client goes away, when no progress was made for `idleMs`
 * (the provider went quiet) or when `totalMs` passed in all, whichever comes first; each delta of a stream counts as
 * progress. One controller fed by all three costs less per message than `AbortSignal.any`.
 */
export class ReplyDeadline {
  private readonly controller = new AbortController()
  private idleTimer: NodeJS.Timeout
  private readonly totalTimer: NodeJS.Timeout
  private readonly abortForClient = () => this.controller.abort()
  /** True when a time limit, not the client, ended the reply. */
  expired = false

  constructor(
    private readonly idleMs: number,
    totalMs: number,
    private readonly clientGone: AbortSignal
  ) {
    this.idleTimer = this.abortAfter(idleMs)
    this.totalTimer = this.abortAfter(totalMs)
    if (clientGone.aborted) this.controller.abort()
    else clientGone.addEventListener('abort', this.abortForClient, { once: true })
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
    return setTimeout(() => {
      if (this.controller.signal.aborted) return
      this.expired = true
      this.controller.abort()
    }, ms).unref()
  }

  clear() {
    clearTimeout(this.idleTimer)
    clearTimeout(this.totalTimer)
    this.clientGone.removeEventListener('abort', this.abortForClient)
  }
}
