import type { AccountStore } from '../../db/store.js'
import { TokenNotValidError } from '../../problems/errors.js'

export async function getTokenBalance(store: AccountStore, userId: number) {
  const balance = await store.getBalance(userId)
  if (!balance) throw new TokenNotValidError()
  return balance
}
