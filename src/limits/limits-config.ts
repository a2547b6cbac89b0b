/**
 * Where the limits are counted; `kind` picks the implementation (see `create-limits.ts`). In memory they are this
 * process's own: they reset on restart and several instances each count apart. In Redis, every instance on the same
 * server and key prefix shares them.
 */
export type LimitsConfig = MemoryLimitsConfig | RedisLimitsConfig

export interface MemoryLimitsConfig {
  kind: 'memory'
}

export interface RedisLimitsConfig {
  kind: 'redis'
  /** `redis://` or `rediss://` (TLS), with credentials and a database number if the server wants them. */
  url: string
  /** Put before every key, so that several deployments can share one server. */
  keyPrefix: string
}
