import type { RateLimitConfig } from '../config.js'
import type { Limits } from './limits.js'

/**
 * The counters of failed logins and wrong passwords, and how their keys are made: the rate limits count with them
 * (plugins/rate-limits.ts) and an operator's unlock clears them, in the server or from the command line.
 */
export function failedLoginCounters(limits: Limits, config: RateLimitConfig['failedLogins']) {
  const perUsername = { limit: config.perUsernameAndAddress, windowMs: config.windowMs }
  return {
    perAddress: limits.failures('failed-logins-per-address', { limit: config.perAddress, windowMs: config.windowMs }),
    perUsernameAndAddress: limits.failures('failed-logins-per-username-and-address', perUsername),
    /** Wrong old passwords on a password change, per user, under the per-username limit. */
    wrongPasswords: limits.failures('wrong-passwords', perUsername)
  }
}

/**
 * The username comes first and ends at a space, which no registered username has, so that one prefix names every
 * address's count of that username and unlocking clears them all without knowing the addresses.
 */
export function usernameAndAddressKey(usernameKey: string, address: string): string {
  return `${usernameKey} ${address}`
}

export function wrongPasswordKey(userId: number): string {
  return String(userId)
}

/**
 * Lifts a user's lockout: their failed logins from every address and their wrong old passwords. Counts per address
 * across usernames stay: they belong to the address, not to the user. Returns how many counts it cleared.
 */
export async function clearFailedLogins(
  limits: Limits,
  config: RateLimitConfig['failedLogins'],
  user: { id: number; usernameKey: string }
): Promise<number> {
  const counters = failedLoginCounters(limits, config)
  const [logins, passwords] = await Promise.all([
    counters.perUsernameAndAddress.clearStartingWith(usernameAndAddressKey(user.usernameKey, '')),
    counters.wrongPasswords.clear(wrongPasswordKey(user.id))
  ])
  return logins + (passwords ? 1 : 0)
}
