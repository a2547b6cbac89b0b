import argon2 from 'argon2'
import { randomBytes } from 'node:crypto'

export interface Argon2Parameters {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** argon2id hashing; hashing runs on libuv's thread pool, so it never blocks the event loop. */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined

  constructor(private readonly parameters: Argon2Parameters) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.parameters })
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password)
  }

  /** Spends the same time as a real verification, so an unknown username cannot be told apart by timing. */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex'))
    await argon2.verify(await this.dummyHash, password)
    return false
  }
}
