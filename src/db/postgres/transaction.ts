import type { Db } from './connection.js'
import { isRetryable } from './storage-failures.js'

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Runs of a transaction that lost to a concurrent one (a deadlock or serialization failure) before it gives up. */
const ATTEMPTS = 5

/**
 * The one way the PostgreSQL store runs a business operation of several statements: one transaction on one pooled
 * connection, holding it only for the operation's own statements (the body awaits nothing but `tx`), run again when it
 * lost to a concurrent transaction, which rolled it back whole. READ COMMITTED, the default: every decision is a
 * conditional statement or follows a row lock, so each statement sees what committed before it.
 */
export function transaction<Args extends unknown[], Result>(
  db: Db,
  body: (tx: Tx, ...args: Args) => Promise<Result>,
  config?: Parameters<Db['transaction']>[1]
) {
  return (...args: Args): Promise<Result> => retryingLosers(() => db.transaction((tx) => body(tx, ...args), config))
}

/** Runs `operation` (one transaction, or one statement, which is its own) again while it loses to a concurrent one. */
export async function retryingLosers<Result>(operation: () => Promise<Result>): Promise<Result> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryable(error)) throw error
    }
  }
}
