import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * Writes `fields` into the JSON document of `file`, keeping its other members: `npm run bench` and
 * `npm run bench:overhead` each own their part of bench/results.json.
 */
export function updateResults(file: string, fields: Record<string, unknown>): void {
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  writeFileSync(file, JSON.stringify({ ...existing, ...fields }, null, 2) + '\n')
}
