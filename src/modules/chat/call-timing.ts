/** The phases of a metered call that `Server-Timing` names, in the order they happen. */
export type CallPhase = 'auth' | 'hold' | 'model' | 'settle'

/**
 * How long a chat message or `/v1` call spent in each phase, from the moment its request arrived: sent as a W3C
 * `Server-Timing` header (`auth`, `hold`, `model`, `settle`, `total`, in milliseconds), so that an operator sees the
 * gateway's share of a slow call; what is not the model's time is the gateway's overhead.
 */
export class CallTiming {
  private readonly started = performance.now()
  private readonly spent = new Map<CallPhase, number>()

  /** Runs `step`, adding how long it took to `phase`, whether it succeeded or not. */
  async measure<T>(phase: CallPhase, step: () => Promise<T>): Promise<T> {
    const begun = performance.now()
    try {
      return await step()
    } finally {
      this.spent.set(phase, (this.spent.get(phase) ?? 0) + performance.now() - begun)
    }
  }

  /** The header's value for the phases measured so far, and the total until now. */
  header(): string {
    const phases = [...this.spent].map(([phase, ms]) => `${phase};dur=${ms.toFixed(2)}`)
    return [...phases, `total;dur=${(performance.now() - this.started).toFixed(2)}`].join(', ')
  }

  /** Seconds since the request arrived that were not spent waiting for the model. */
  overheadSeconds(): number {
    return (performance.now() - this.started - (this.spent.get('model') ?? 0)) / 1000
  }
}
