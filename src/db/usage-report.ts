import { sql, type SQL, type Table } from 'drizzle-orm'
import type { UsageGrouping, UsageQuery } from './store.js'

/** The tables a usage report reads, as each dialect's schema defines them. */
interface UsageTables {
  usageDaily: Table
  users: Table
}

const SUMMED = ['requests', 'prompt_tokens', 'cached_tokens', 'completion_tokens', 'credits']
const camelCase = (column: string) => column.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())
/** The totals of a group, named as UsageTotals names them. */
const TOTALS = sql.raw(SUMMED.map((column) => `sum(${column}) as "${camelCase(column)}"`).join(', '))
/** The totals of a group, named as the rollup names them, for a query that sums them again. */
const PARTIAL_TOTALS = sql.raw(SUMMED.map((column) => `sum(${column}) as ${column}`).join(', '))

/**
 * A page of a usage report in SQL both dialects run: the rollup's rows of the days (and the user) asked for, summed per
 * group in key order after the keyset position. `codePointOrder` makes text compare by code point (SQLite's BINARY
 * does by default; PostgreSQL needs `collate "C"` whatever the database's collation), so that the keyset condition
 * and the order agree on every server.
 */
export function usageReportQuery<Grouping extends UsageGrouping>(
  { usageDaily, users }: UsageTables,
  codePointOrder: SQL,
  query: UsageQuery<Grouping>
): SQL {
  const { groupBy, userId, fromDay, toDay, after, limit } = query
  const where = (day: SQL, key: SQL) => {
    const conditions = [sql`${day} between ${fromDay} and ${toDay}`]
    if (userId !== undefined) conditions.push(sql`d.user_id = ${userId}`)
    if (after !== undefined) conditions.push(sql`${key} > ${after}`)
    return sql.join(conditions, sql` and `)
  }
  if (groupBy === 'day' || groupBy === 'key') {
    // 0 is the key of usage made without an API key.
    const key = groupBy === 'day' ? sql`d.day` : sql`d.api_key_id`
    return sql`
      select ${key} as "key", ${TOTALS} from ${usageDaily} d
      where ${where(sql`d.day`, key)}
      group by ${key} order by ${key} limit ${limit}`
  }
  if (groupBy === 'model') {
    // Summed per day and model first, in the order of the day index, which holds every summed column: everyone's
    // month is then read from that index alone, and the second sum adds up at most a row per day and model.
    const model = sql`d.model${codePointOrder}`
    return sql`
      select m.model as "key", ${TOTALS} from (
        select d.day, d.model, ${PARTIAL_TOTALS} from ${usageDaily} d
        where ${where(sql`d.day`, model)}
        group by d.day, d.model
      ) m
      group by m.model order by m.model${codePointOrder} limit ${limit}`
  }
  // Read in user order (the primary key), a page stops after `limit` users; the unary + keeps the day range from
  // choosing the day index instead, which would sum the whole range for everyone before the first row came out. Only
  // the page's users are then looked up for their names.
  return sql`
    select g.*, u.username from (
      select d.user_id as "key", ${TOTALS} from ${usageDaily} d
      where ${where(sql`+d.day`, sql`d.user_id`)}
      group by d.user_id order by d.user_id limit ${limit}
    ) g join ${users} u on u.id = g."key"
    order by g."key"`
}
