import { parseArgs } from 'node:util'
import { isValidNote } from './validators.js'

/** A mistake in how the command was called: exit code 2 and a pointer to the usage. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const USAGE = `Usage: npm run cli -- <command> [options]     (installed: ai-chat-api <command> [options])

Commands:
  create-admin <username> [--promote]   create an administrator with INITIAL_TOKENS; the password comes from
                                        ADMIN_PASSWORD or is asked for. An existing user is refused unless
                                        --promote is given, which promotes them (and never creates a user)
  delete-user <username> [--yes]        delete the account for good: its chats, conversations, logins and API
                                        keys; its ledger rows stay, without notes, under deleted:<id>, and the
                                        name is free again. Asks for the username again unless --yes is given
  grant <username> <amount> [--note T]  add tokens to a balance (a negative amount takes them away); the ledger
                                        records it with the note
  reset-password <username>             set a new password, from NEW_PASSWORD or asked for, and end every login
                                        of the user
  unlock <username>                     clear the user's failed logins from every address (with REDIS_URL; without
                                        it, use the admin API's POST /api/admin/users/{username}/unlock/)
  users [--search prefix]               list users, or those whose username starts with the prefix
  verify-ledger                         check every balance against its ledger; exit code 1 on any mismatch

The database and settings come from the server's environment variables (DATABASE_URL, INITIAL_TOKENS, ...).
Exit codes: 0 success, 1 failure, 2 bad arguments.
`

const COMMANDS = {
  'create-admin': { positionals: ['username'], options: ['promote'] },
  'delete-user': { positionals: ['username'], options: ['yes'] },
  grant: { positionals: ['username', 'amount'], options: ['note'] },
  'reset-password': { positionals: ['username'], options: [] },
  unlock: { positionals: ['username'], options: [] },
  users: { positionals: [], options: ['search'] },
  'verify-ledger': { positionals: [], options: [] }
} satisfies Record<string, { positionals: string[]; options: string[] }>

export type CommandName = keyof typeof COMMANDS

const OPTIONS = {
  note: { type: 'string' },
  search: { type: 'string' },
  promote: { type: 'boolean' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

/** parseArgs would read `-500` as a cluster of short options, but here it is a (negative) amount. */
const NEGATIVE_NUMBER = /^-[0-9]/

export interface Invocation {
  command: CommandName
  positionals: string[]
  /** grant's amount, checked here so that bad arguments never reach the database. */
  amount?: number
  note?: string | undefined
  search?: string | undefined
  promote?: boolean | undefined
  yes?: boolean | undefined
}

/** The command to run; 'help' when the usage was asked for, 'missing' when no command was given. */
export function parseCommandLine(argv: string[]): Invocation | 'help' | 'missing' {
  const masked = argv.map((arg, index) =>
    NEGATIVE_NUMBER.test(arg) && !takesValue(argv[index - 1]) ? 'negative-number' : arg
  )
  let parsed
  try {
    parsed = parseArgs({ args: masked, options: OPTIONS, allowPositionals: true, strict: true, tokens: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const words = parsed.tokens.flatMap((token) => (token.kind === 'positional' ? [argv[token.index]!] : []))
  const [command, ...positionals] = words
  if (parsed.values.help || command === 'help') return 'help'
  if (command === undefined) return 'missing'
  if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"`)

  const expected: { positionals: string[]; options: string[] } = COMMANDS[command as CommandName]
  if (positionals.length !== expected.positionals.length) {
    const wanted = expected.positionals.map((name) => `<${name}>`).join(' ') || 'no arguments'
    throw new UsageError(`${command} takes ${wanted}`)
  }
  for (const option of ['note', 'search', 'promote', 'yes'] as const) {
    if (parsed.values[option] !== undefined && !expected.options.includes(option)) {
      throw new UsageError(`${command} has no --${option} option`)
    }
  }
  const { note, search, promote, yes } = parsed.values
  if (note !== undefined && !isValidNote(note))
    throw new UsageError('the note must be 1 to 500 characters, not only whitespace')
  const amount = command === 'grant' ? parseAmount(positionals[1]!) : undefined
  return { command: command as CommandName, positionals, amount, note, search, promote, yes }
}

function takesValue(previous: string | undefined): boolean {
  return previous === '--note' || previous === '--search'
}

/** A whole number of tokens, written as digits with an optional minus sign, not 0, exactly representable. */
function parseAmount(text: string): number {
  const amount = Number(text)
  if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(amount) || amount === 0) {
    throw new UsageError(`the amount must be a non-zero whole number of tokens, not "${text}"`)
  }
  return amount
}
