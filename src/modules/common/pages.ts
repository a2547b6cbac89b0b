import { MAX_ROW_ID } from '../../db/storage-rules.js'
import { validationFailed } from '../../problems/errors.js'

/**
 * Keyset pagination: ask the store for `limit + 1` rows; the extra row only tells that another page follows, and the
 * cursor of the last row shown is where that page starts.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  cursorOf: (row: Row) => string
): { items: Item[]; next_cursor: string | null } {
  const shown = rows.slice(0, limit)
  const last = shown.at(-1)
  return { items: shown.map(toItem), next_cursor: rows.length > limit && last ? cursorOf(last) : null }
}

/**
 * The row id a cursor's digits name; 400 for one past any id (the cursors this API gives never are), which PostgreSQL
 * could not even compare with an id.
 */
export function rowIdOf(cursorPart: string): number {
  const id = Number(cursorPart)
  if (id > MAX_ROW_ID) {
    throw validationFailed('querystring', [{ pointer: '#/cursor', message: 'is not a cursor of this list' }])
  }
  return id
}
