import { sql, type SQL, type Table } from 'drizzle-orm'
import type { UsageGrouping, UsageQuery } from './store.js'

/** The tables a usage report reads, as each dialect's schema defines them. */
interface UsageTables {
  usageDaily: Table
  users: Table
}

const GROUP_KEYS: Record<UsageGrouping, SQL> = {
  day: sql`d.day`,
  model: sql`d.model`,
  user: sql`d.user_id`
}

/**
 * A page of a usage report in SQL both dialects run: the rollup's rows of the days (and the user) asked for, summed per
 * group in key order after the keyset position. Groups by user are summed and cut to the page first, and only that
 * page's users are then looked up for their names. `codePointOrder` makes text compare by code point (SQLite's BINARY
 * does by default; PostgreSQL needs `collate "C"` whatever the database's collation), so that the keyset condition
 * and the order agree on every server.
 */
export function usageReportQuery<Grouping extends UsageGrouping>(
  { usageDaily, users }: UsageTables,
  codePointOrder: SQL,
  query: UsageQuery<Grouping>
): SQL {
  const key = GROUP_KEYS[query.groupBy]
  const ordered = query.groupBy === 'model' ? sql`${key}${codePointOrder}` : key
  const conditions = [sql`d.day between ${query.fromDay} and ${query.toDay}`]
  if (query.userId !== undefined) conditions.push(sql`d.user_id = ${query.userId}`)
  if (query.after !== undefined) conditions.push(sql`${ordered} > ${query.after}`)
  const groups = sql`
    select ${key} as "key", sum(d.requests) as requests, sum(d.prompt_tokens) as "promptTokens",
      sum(d.cached_tokens) as "cachedTokens", sum(d.completion_tokens) as "completionTokens", sum(d.credits) as credits
    from ${usageDaily} d
    where ${sql.join(conditions, sql` and `)}
    group by ${key}
    order by ${ordered}
    limit ${query.limit}`
  if (query.groupBy !== 'user') return groups
  return sql`select g.*, u.username from (${groups}) g join ${users} u on u.id = g."key" order by g."key"`
}
