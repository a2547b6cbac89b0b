const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600, d: 86400 } as const

/** Turns a validated duration such as `5m` or `1d` into seconds. */
export function parseDuration(duration: string): number {
  const unit = duration.slice(-1) as keyof typeof SECONDS_PER_UNIT
  return Number(duration.slice(0, -1)) * SECONDS_PER_UNIT[unit]
}
