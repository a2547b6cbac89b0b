import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

const OWNER_ONLY_DIRECTORY = 0o700
const OWNER_ONLY_FILE = 0o600

/**
 * Creates a folder and its missing parents as 0700. The umask narrows what mkdir gives, so the mode is set again
 * exactly; a folder that already exists keeps its mode.
 */
export function makePrivateDirectory(directory: string): void {
  const firstCreated = mkdirSync(directory, { recursive: true, mode: OWNER_ONLY_DIRECTORY })
  if (firstCreated === undefined) return
  const top = resolve(firstCreated)
  for (let created = resolve(directory); ; created = dirname(created)) {
    chmodSync(created, OWNER_ONLY_DIRECTORY)
    if (created === top) return
  }
}

/** Creates a file as 0600 whatever the umask and writes `content` to it; false, and nothing written, if it exists. */
export function createPrivateFile(path: string, content: string): boolean {
  let descriptor: number
  try {
    descriptor = openSync(path, 'wx', OWNER_ONLY_FILE)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    fchmodSync(descriptor, OWNER_ONLY_FILE)
    writeFileSync(descriptor, content)
  } finally {
    closeSync(descriptor)
  }
  return true
}
