import type { AccountStore } from '../../db/store.js'
import { usernameSkeleton } from './usernames.js'

const PAGE_SIZE = 500

/**
 * Gives accounts created before usernames had skeletons theirs, at start-up (SQLite cannot compute them in a
 * migration). The oldest of two look-alike accounts keeps the skeleton, so new names like either stay refused; the
 * younger keeps working without one. Returns the keys of those younger accounts.
 */
export async function backfillUsernameSkeletons(store: AccountStore): Promise<string[]> {
  const lookalikes: string[] = []
  let afterId = 0
  for (;;) {
    const page = await store.listUnskeletonedUsers(afterId, PAGE_SIZE)
    for (const user of page) {
      if (!(await store.setUsernameSkeleton(user.id, usernameSkeleton(user.usernameKey)))) {
        lookalikes.push(user.usernameKey)
      }
    }
    if (page.length < PAGE_SIZE) return lookalikes
    afterId = page.at(-1)!.id
  }
}
