import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A copy of a migrations folder that stops after the first `count` migrations, as an older release shipped it. */
export function migrationsUpTo(folder: string, directory: string, count: number): string {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8'))
  journal.entries = journal.entries.slice(0, count)
  mkdirSync(join(directory, 'meta'), { recursive: true })
  for (const entry of journal.entries) cpSync(join(folder, `${entry.tag}.sql`), join(directory, `${entry.tag}.sql`))
  writeFileSync(join(directory, 'meta/_journal.json'), JSON.stringify(journal))
  return directory
}
