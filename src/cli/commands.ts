import type { Writable } from 'node:stream'
import type { Config } from '../config.js'
import type { LedgerMismatch, Store } from '../db/store.js'
import { adjustTokens, listAccounts } from '../modules/admin/service.js'
import { PasswordHasher } from '../modules/auth/passwords.js'
import { usernameViolation } from '../modules/auth/username-profile.js'
import { usernameColumns } from '../modules/auth/usernames.js'
import { UsageError } from './arguments.js'
import { formatTable } from './table.js'
import { isValidPassword, isValidUsername, PasswordSchema, UsernameSchema } from './validators.js'

/** What every command works with: the service's own store and configuration, and where to write its report. */
export interface CommandContext {
  store: Store
  config: Config
  out: Writable
}

/**
 * Creates an administrator; with `promote`, makes the existing user of that name one instead, and never creates. An
 * existing account is never promoted without being asked for: the name may belong to someone else. `readPassword`
 * is only asked for a new user; an existing user's password stays as it is.
 */
export async function createAdmin(
  { store, config, out }: CommandContext,
  username: string,
  { promote, readPassword }: { promote: boolean; readPassword: () => Promise<string> }
): Promise<'created' | 'promoted' | 'unchanged'> {
  const columns = usernameColumns(username)
  const name = columns.username
  if (!isValidUsername(name))
    throw new UsageError(`"${username}" is not a valid username: ${UsernameSchema.description}`)
  const existing = await store.findAccount(columns.usernameKey)
  if (existing?.isAdmin) {
    out.write(`${existing.username} is already an administrator; nothing changed\n`)
    return 'unchanged'
  }
  if (existing) {
    const registered = new Date(existing.createdAt).toISOString()
    if (!promote) {
      throw new Error(
        `the user ${existing.username} already exists (registered ${registered}); if that account is the one to make ` +
          'an administrator, run again with --promote'
      )
    }
    await store.setAdmin(existing.id, true)
    out.write(`promoted the existing user ${existing.username} (registered ${registered}) to administrator\n`)
    if (!existing.isActive) out.write(deactivatedNote(existing.username))
    return 'promoted'
  }
  if (promote) throw new Error(`there is no user ${name} to promote; leave out --promote to create one`)

  const violation = usernameViolation(name)
  if (violation !== undefined) throw new UsageError(`"${username}" is not a valid username: it ${violation}`)
  const password = await readPassword()
  if (!isValidPassword(password)) throw new UsageError(`the password must be ${PasswordSchema.description}`)
  const created = await store.createUser({
    ...columns,
    passwordHash: await new PasswordHasher(config.argon2, config.argon2Queue).hash(columns.usernameKey, password),
    initialTokens: config.initialTokens,
    now: Date.now()
  })
  if (!created.created && created.reason === 'looks_taken') {
    throw new UsageError(
      `"${username}" looks like the username of an existing user; promote that user or choose another`
    )
  }
  if (!created.created) throw new Error(`someone registered ${name} just now; nothing changed`)
  await store.setAdmin(created.userId, true)
  out.write(`created the administrator ${name} with ${created.tokens} tokens\n`)
  return 'created'
}

/** A grant (positive amount) or debit (negative) made by an operator, recorded without an administrator as actor. */
export async function grant(
  { store, out }: CommandContext,
  username: string,
  amount: number,
  note: string | undefined
) {
  const adjusted = await adjustTokens(store, { actorId: null, username, amount, note })
  const what = amount > 0 ? `granted ${amount} tokens to` : `debited ${-amount} tokens from`
  out.write(`${what} ${adjusted.username}; balance now ${adjusted.tokens}\n`)
}

export function deactivatedNote(username: string) {
  return `note: ${username} is deactivated and cannot log in until reactivated\n`
}

const PAGE_SIZE = 100

export async function listUsers({ store, out }: CommandContext, search: string | undefined) {
  const rows: string[][] = []
  let cursor: string | undefined
  do {
    const page = await listAccounts(store, { search, cursor, limit: PAGE_SIZE })
    for (const user of page.items) {
      rows.push([user.username, String(user.tokens), yesNo(user.is_active), yesNo(user.is_admin), user.created_at])
    }
    cursor = page.next_cursor ?? undefined
  } while (cursor !== undefined)
  if (rows.length > 0) out.write(formatTable(['username', 'tokens', 'active', 'admin', 'created'], rows, [1]))
  const matching = search === undefined ? '' : ` whose username starts with "${search}"`
  out.write(`${count(rows.length, 'user')}${matching}\n`)
}

/** Writes one line per mismatch and a summary; returns the number of mismatches. */
export async function verifyLedger({ store, out }: CommandContext): Promise<number> {
  const { users, entries, mismatches } = await store.auditLedger()
  for (const mismatch of mismatches) out.write(`${describe(mismatch)}\n`)
  const verdict = mismatches.length === 0 ? 'consistent' : `inconsistent, ${count(mismatches.length, 'mismatch')}`
  out.write(`ledger ${verdict}: ${count(users, 'user')} and ${count(entries, 'entry')} checked\n`)
  return mismatches.length
}

function describe(mismatch: LedgerMismatch): string {
  switch (mismatch.kind) {
    case 'balance':
      return `balance  ${mismatch.username}: tokens ${mismatch.tokens} but the ledger sums to ${mismatch.ledgerSum}`
    case 'over_hold':
      return `hold     ${mismatch.username}: chat ${mismatch.chatId} cost ${mismatch.cost}, more than its hold ${mismatch.hold}`
    case 'charge':
      return (
        `charge   ${mismatch.username}: chat ${mismatch.chatId} cost ${mismatch.cost} ` +
        `but its ledger rows charge ${mismatch.ledgerSum}`
      )
    case 'chain':
      return describeChain(mismatch)
  }
}

function describeChain(mismatch: Extract<LedgerMismatch, { kind: 'chain' }>): string {
  return (
    `chain    ${mismatch.username}: ledger entry ${mismatch.ledgerId} says balance ${mismatch.balanceAfter}, ` +
    `but ${mismatch.previousBalance} ${mismatch.delta < 0 ? '-' : '+'} ${Math.abs(mismatch.delta)} is ` +
    `${mismatch.previousBalance + mismatch.delta}`
  )
}

const PLURALS: Record<string, string> = { user: 'users', entry: 'entries', mismatch: 'mismatches' }

function count(n: number, noun: string) {
  return `${n} ${n === 1 ? noun : PLURALS[noun]}`
}

function yesNo(value: boolean) {
  return value ? 'yes' : 'no'
}
