import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

/**
 * A folder of the test's own, removed after every teardown registered later has run (tap runs teardowns last
 * registered first). tap removes `t.testdir()` before any teardown, while the app, store or server that a teardown
 * closes still has its SQLite files open: SQLite writing one during the removal failed the test with ENOTEMPTY.
 */
export function scratchDirectory(t: Test): string {
  const directory = mkdtempSync(join(tmpdir(), 'ai-chat-test-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  return directory
}
