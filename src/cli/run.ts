import type { Writable } from 'node:stream'
import { loadConfig } from '../config.js'
import { createStore } from '../db/create-store.js'
import { backfillUsernameSkeletons } from '../modules/auth/service.js'
import { parseCommandLine, USAGE, UsageError, type Invocation } from './arguments.js'
import { createAdmin, grant, listUsers, verifyLedger, type CommandContext } from './commands.js'
import { deleteUser } from './delete-user.js'
import { resetPassword } from './reset-password.js'
import { unlock } from './unlock.js'
import { readHiddenLine, type TerminalInput } from './prompt.js'

export interface CliIo {
  env: Record<string, string | undefined>
  stdin: TerminalInput
  stdout: Writable
  stderr: Writable
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/** Runs one command of the operators' tool and returns its exit code; errors are written to stderr. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const invocation = parseCommandLine(argv)
    if (invocation === 'help') {
      io.stdout.write(USAGE)
      return EXIT.ok
    }
    if (invocation === 'missing') {
      io.stderr.write(USAGE)
      return EXIT.usage
    }
    const config = loadConfig(io.env)
    const store = await createStore(config.database)
    try {
      await backfillUsernameSkeletons(store)
      return await dispatch(invocation, { store, config, out: io.stdout }, io)
    } finally {
      await store.close()
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`error: ${message}\n`)
    if (!(error instanceof UsageError)) return EXIT.failure
    io.stderr.write('run with --help for usage\n')
    return EXIT.usage
  }
}

async function dispatch(invocation: Invocation, context: CommandContext, io: CliIo): Promise<number> {
  const [username = ''] = invocation.positionals
  switch (invocation.command) {
    case 'create-admin':
      await createAdmin(context, username, {
        promote: invocation.promote === true,
        readPassword: () => newPassword(io, 'ADMIN_PASSWORD', 'Password for the new administrator: ')
      })
      return EXIT.ok
    case 'reset-password':
      await resetPassword(context, username, () => newPassword(io, 'NEW_PASSWORD', `New password for ${username}: `))
      return EXIT.ok
    case 'delete-user':
      await deleteUser(context, username, () =>
        invocation.yes ? Promise.resolve(undefined) : confirmation(io, username)
      )
      return EXIT.ok
    case 'grant':
      await grant(context, username, invocation.amount!, invocation.note)
      return EXIT.ok
    case 'unlock':
      await unlock(context, username)
      return EXIT.ok
    case 'users':
      await listUsers(context, invocation.search)
      return EXIT.ok
    case 'verify-ledger': {
      const mismatches = await verifyLedger(context)
      if (mismatches === 0) return EXIT.ok
      io.stderr.write('error: the ledger does not match the balances\n')
      return EXIT.failure
    }
  }
}

/** What the operator types to confirm a deletion; only at a terminal, since without one nobody could be asked. */
async function confirmation({ stdin, stderr }: CliIo, username: string): Promise<string> {
  if (!stdin.isTTY) throw new UsageError('pass --yes to delete without being asked, or run in a terminal')
  return readHiddenLine(stdin, stderr, `Type the username again to delete ${username} for good: `)
}

/** The variable's value, or asked for twice without echo when a person is at the terminal. */
async function newPassword({ env, stdin, stderr }: CliIo, variable: string, prompt: string): Promise<string> {
  const given = env[variable]
  if (given) return given
  if (!stdin.isTTY) throw new UsageError(`set ${variable}, or run in a terminal to be asked for the password`)
  const password = await readHiddenLine(stdin, stderr, prompt)
  const repeated = await readHiddenLine(stdin, stderr, 'Repeat the password: ')
  if (password !== repeated) throw new UsageError('the passwords do not match')
  return password
}
