import { isStorageUnavailable } from '../../problems/errors.js'

/** Where a write that had to wait for the database reports how it went. */
export interface WriteLog {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export interface WriteLaterOptions<T> {
  /** What the write does, for the logs. */
  what: string
  log: WriteLog
  /** Called with the write's result once it has succeeded, now or on a later attempt. */
  onWritten?: (result: T) => void
}

const FIRST_DELAY_MS = 50
const MAX_DELAY_MS = 2_000
/** Past this, a pending chat is left to the sweep and a busy key to its expiry; the log says so. */
const GIVE_UP_AFTER_MS = 5 * 60_000

/**
 * Runs a write that must not be lost, such as the refund of a chat that could not be settled or the stored answer of a
 * charged request. When the database cannot take it now (`storage_unavailable`), it is tried again in the background
 * with exponential backoff, at most a few seconds apart, so that it lands within seconds of the disk having room
 * again. Resolves with whether the write succeeded at once; any other error is a bug, and is thrown.
 */
export async function writeOrRetryLater<T>(write: () => Promise<T>, options: WriteLaterOptions<T>): Promise<boolean> {
  let result: T
  try {
    result = await write()
  } catch (error) {
    if (!isStorageUnavailable(error)) throw error
    options.log.warn({ err: error }, `${options.what} could not be written; retrying in the background`)
    retry(write, options, Date.now() + GIVE_UP_AFTER_MS, FIRST_DELAY_MS)
    return false
  }
  options.onWritten?.(result)
  return true
}

function retry<T>(write: () => Promise<T>, options: WriteLaterOptions<T>, giveUpAt: number, delayMs: number) {
  const timer = setTimeout(async () => {
    let result: T
    try {
      result = await write()
    } catch (error) {
      if (isStorageUnavailable(error) && Date.now() + delayMs < giveUpAt) {
        retry(write, options, giveUpAt, Math.min(delayMs * 2, MAX_DELAY_MS))
      } else {
        options.log.error({ err: error }, `${options.what} failed; giving up`)
      }
      return
    }
    options.log.warn({}, `${options.what} written after a retry`)
    options.onWritten?.(result)
  }, delayMs)
  // Never keeps a process alive: one that exits with a retry outstanding leaves the chat pending, for recovery to
  // refund, and a busy key to its expiry.
  timer.unref()
}
