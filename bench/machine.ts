import { availableParallelism, cpus, loadavg } from 'node:os'
import type { PostgresServer } from './postgres-server.js'

export interface Machine {
  cpus: number
  cpuModel: string
  node: string
  /** One-minute load average when the run started and when it ended (the run itself adds about 2). */
  loadAverage: { before: number; after: number }
  /** The PostgreSQL server and pool size, when the run measured PostgreSQL too. */
  postgres?: PostgresServer & { poolSize: number }
}

/** The machine a run measured on, at its end; `loadBefore` is the one-minute load average when it started. */
export function describeMachine(loadBefore: number, postgres?: Machine['postgres']): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: { before: loadBefore, after: loadavg()[0]! },
    ...(postgres && { postgres })
  }
}

/** The line above a results table: the machine, how long the run measured, and how loaded the machine was. */
export function machineLine(machine: Machine, measured: string): string {
  const { before, after } = machine.loadAverage
  return (
    `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${measured}, ` +
    `load average ${before.toFixed(1)} before and ${after.toFixed(1)} after` +
    (machine.postgres ? `, PostgreSQL ${machine.postgres.version} at ${machine.postgres.server}` : '')
  )
}
