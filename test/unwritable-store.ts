import type { Store } from '../src/db/store.js'
import { diskFull } from './helper.js'

/**
 * A store decorator for `build`'s overrides that makes the named methods reject as a full disk does, without touching
 * the database, until `free()` is called; `attempts` counts the calls that were refused.
 */
export function unwritableUntilFreed(...methods: Array<keyof Store>) {
  let full = true
  const control = {
    attempts: 0,
    free() {
      full = false
    },
    decorate(store: Store): Store {
      const decorated = { ...store }
      for (const method of methods) {
        const original = store[method] as (...args: unknown[]) => Promise<unknown>
        Object.assign(decorated, {
          [method]: (...args: unknown[]) => {
            if (!full) return original(...args)
            control.attempts += 1
            return Promise.reject(diskFull())
          }
        })
      }
      return decorated
    }
  }
  return control
}
