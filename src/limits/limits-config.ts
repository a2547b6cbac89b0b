/**
 * Where the limits are counted; `kind` picks the implementation (see `create-limits.ts`). In memory they are this
 * process's own: they reset on restart and several instances each count apart.
 */
export type LimitsConfig = MemoryLimitsConfig

export interface MemoryLimitsConfig {
  kind: 'memory'
}
