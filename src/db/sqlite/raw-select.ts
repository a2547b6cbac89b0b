import type Database from 'better-sqlite3'
import { Placeholder, type SQLWrapper } from 'drizzle-orm'
import type { Db } from './connection.js'

interface BuiltSelect extends SQLWrapper {
  _: { selectedFields: object }
  toSQL(): { sql: string; params: unknown[] }
}

/**
 * A select built with drizzle's query builder and prepared straight on better-sqlite3, for reads of many rows. Rows
 * come back as arrays and become objects in a plain loop: drizzle maps every field of every row through generic type
 * checks, which took a fifth of a history page's time. Only for columns that need no decoding (integers and text),
 * which drizzle selects in the order of their keys.
 */
export function prepareRawSelect<Row extends object>(db: Db, query: BuiltSelect) {
  const keys = Object.keys(query._.selectedFields)
  const { sql, params } = query.toSQL()
  const statement: Database.Statement<unknown[], unknown[]> = db.$client.prepare<unknown[], unknown[]>(sql).raw()
  const bind = (values: Record<string, unknown>) =>
    params.map((param) => (param instanceof Placeholder ? values[param.name] : param))
  const toRow = (fields: unknown[]) => {
    const row: Record<string, unknown> = {}
    keys.forEach((key, index) => {
      row[key] = fields[index]
    })
    return row as Row
  }
  return {
    all: (values: Record<string, unknown>): Row[] => statement.all(...bind(values)).map(toRow),
    get: (values: Record<string, unknown>): Row | undefined => {
      const fields = statement.get(...bind(values))
      return fields === undefined ? undefined : toRow(fields)
    }
  }
}
