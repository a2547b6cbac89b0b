import { usernameKey } from '../modules/auth/usernames.js'
import type { CommandContext } from './commands.js'

/**
 * Deletes an account as `DELETE /api/account/` does (the store's `deleteAccount`: everything of the user but the
 * ledger, which stays under the account's tombstone). Nothing can undo it, so the operator confirms first:
 * `confirm` resolves with what they typed, which must be the username again (any case), or is skipped by `--yes`.
 */
export async function deleteUser(
  { store, out }: CommandContext,
  username: string,
  confirm: () => Promise<string | undefined>
) {
  const key = usernameKey(username)
  const account = await store.findAccount(key)
  if (!account) throw new Error(`there is no user ${username}`)
  const typed = await confirm()
  if (typed !== undefined && usernameKey(typed) !== key) {
    throw new Error(`that is not ${account.username}: nothing was deleted`)
  }
  const outcome = await store.deleteAccount({ userId: account.id, now: Date.now() })
  if (outcome === 'busy') {
    throw new Error(`${account.username} has a reply on its way: nothing was deleted; try again once it has arrived`)
  }
  if (outcome === 'not_found') throw new Error(`${account.username} was deleted meanwhile`)
  out.write(`deleted ${account.username}; the ledger keeps its rows, without notes, under deleted:${account.id}\n`)
}
