import { createHmac, hkdfSync, randomBytes } from 'node:crypto'

export const KEY_SECRET_PREFIX = 'sk-acp-'

const SECRET_BYTES = 32

/** A new key's secret: the prefix and 256 random bits, base64url (43 characters). */
export function newKeySecret(): string {
  return KEY_SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64url')
}

/**
 * The HMAC key for key secrets, derived from the JWT secret once at start-up: the database stores no secret that can
 * check a guess without it.
 */
export function keyHashKeyFrom(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, '', 'ai-chat-api api-key hash', 32))
}

/**
 * What is stored of a secret, and looked up (through a unique index, so no comparison of secrets leaks time). A fast
 * keyed hash is right here, unlike argon2 for passwords: a secret is 256 random bits, not a word a person chose, so
 * there is no dictionary to try and slow hashing would buy nothing while costing every `/v1` request; the HMAC key
 * means a leaked database alone cannot even check guesses.
 */
export function hashKeySecret(secret: string, hashKey: Buffer): string {
  return createHmac('sha256', hashKey).update(secret).digest('hex')
}
