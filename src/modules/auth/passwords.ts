import argon2 from 'argon2'
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { ConcurrencyBound } from './concurrency-bound.js'

export interface Argon2Parameters {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** How much hashing may wait for a turn: in all, for how long, and per account. */
export interface HashQueueLimits {
  maxWaiting: number
  waitTimeoutMs: number
  perAccount: number
}

/** Hashes running at once: one per spare CPU core. */
export const HASHES_AT_ONCE = Math.max(1, availableParallelism() - 1)

/**
 * argon2id hashing on libuv's thread pool, so it never blocks the event loop. At most one hash per spare CPU core runs at
 * a time: more would only take CPU from the event loop (raising every request's latency during a burst of logins),
 * hold another `memoryCost` of memory each, and fill the thread pool that file system calls share. The rest wait in a
 * bounded queue, and each account (the username key) holds only a few places in it, so that one account flooding
 * logins or password changes delays everyone else by a few hashes at most.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined
  private readonly hashing: ConcurrencyBound

  constructor(
    private readonly parameters: Argon2Parameters,
    limits: HashQueueLimits
  ) {
    this.hashing = new ConcurrencyBound({
      concurrency: HASHES_AT_ONCE,
      maxWaiting: limits.maxWaiting,
      waitTimeoutMs: limits.waitTimeoutMs,
      perKey: limits.perAccount
    })
  }

  hash(account: string, password: string): Promise<string> {
    return this.hashing.run(account, () => this.hashNow(password))
  }

  verify(account: string, hash: string, password: string): Promise<boolean> {
    return this.hashing.run(account, () => argon2.verify(hash, password))
  }

  /** Whether the hash was made with other parameters than the configured ones, and should be made again. */
  isOutdated(hash: string): boolean {
    return argon2.needsRehash(hash, this.parameters)
  }

  /** Spends the same time as a real verification, so an unknown username cannot be told apart by timing. */
  async verifyAgainstDummy(account: string, password: string): Promise<false> {
    // Made once, outside the queue: a refusal from a full queue must not be remembered as the dummy hash.
    this.dummyHash ??= this.hashNow(randomBytes(16).toString('hex'))
    await this.verify(account, await this.dummyHash, password)
    return false
  }

  private hashNow(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.parameters })
  }
}
