import { PasswordHasher } from '../modules/auth/passwords.js'
import { usernameKey } from '../modules/auth/usernames.js'
import { UsageError } from './arguments.js'
import { deactivatedNote, type CommandContext } from './commands.js'
import { isValidPassword, PasswordSchema } from './validators.js'

/**
 * Sets a user's password and ends every login of theirs in the same transaction (the store's password change,
 * keeping no session), so whoever held the old password or a token is out at once.
 */
export async function resetPassword(
  { store, config, out }: CommandContext,
  username: string,
  readPassword: () => Promise<string>
) {
  const key = usernameKey(username)
  const account = await store.findAccount(key)
  if (!account) throw new Error(`there is no user ${username}`)
  const password = await readPassword()
  if (!isValidPassword(password)) throw new UsageError(`the password must be ${PasswordSchema.description}`)
  const ended = await store.changePassword({
    userId: account.id,
    passwordHash: await new PasswordHasher(config.argon2, config.argon2Queue).hash(key, password),
    now: Date.now()
  })
  out.write(`set a new password for ${account.username}; ended ${ended} ${ended === 1 ? 'login' : 'logins'}\n`)
  if (!account.isActive) out.write(deactivatedNote(account.username))
}
