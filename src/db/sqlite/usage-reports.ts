import { sql } from 'drizzle-orm'
import type { UsageGroup, UsageGrouping, UsageQuery } from '../store.js'
import { usageReportQuery } from '../usage-report.js'
import type { Db } from './connection.js'
import { usageDaily, users } from './schema.js'

/** Usage reports from the `usage_daily` rollup (see usage-report.ts for the query). */
export function usageReportQueries(db: Db) {
  return {
    listUsage: async <Grouping extends UsageGrouping>(query: UsageQuery<Grouping>) =>
      db.all<UsageGroup<Grouping>>(usageReportQuery({ usageDaily, users }, sql``, query))
  }
}
