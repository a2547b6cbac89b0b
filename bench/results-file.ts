import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * Writes `fields` into the JSON document of `file`, keeping its other members: `npm run bench` and
 * `npm run bench:overhead` each own their part of bench/results.json.
 */
export function updateResults(file: string, fields: Record<string, unknown>): void {
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  writeFileSync(file, JSON.stringify({ ...existing, ...fields }, null, 2) + '\n')
}

/** The document with its milliseconds rounded to microseconds, the resolution that means anything in latencies. */
export function roundedToMicroseconds<T>(document: T): T {
  return JSON.parse(
    JSON.stringify(document, (_key, value: unknown) =>
      typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value
    )
  ) as T
}
