import argon2 from 'argon2'
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Limiter } from './limiter.js'

export interface Argon2Parameters {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/**
 * argon2id hashing on libuv's thread pool, so it never blocks the event loop. At most one hash per spare CPU core runs at
 * a time: more would only take CPU from the event loop (raising every request's latency during a burst of logins),
 * hold another `memoryCost` of memory each, and fill the thread pool that file system calls share.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined
  private readonly limiter = new Limiter(Math.max(1, availableParallelism() - 1))

  constructor(private readonly parameters: Argon2Parameters) {}

  hash(password: string): Promise<string> {
    return this.limiter.run(() => argon2.hash(password, { type: argon2.argon2id, ...this.parameters }))
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.limiter.run(() => argon2.verify(hash, password))
  }

  /** Spends the same time as a real verification, so an unknown username cannot be told apart by timing. */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex'))
    const dummyHash = await this.dummyHash
    await this.verify(dummyHash, password)
    return false
  }
}
