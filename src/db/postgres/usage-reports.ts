import { sql } from 'drizzle-orm'
import type { UsageGroup, UsageGrouping, UsageQuery } from '../store.js'
import { usageReportQuery } from '../usage-report.js'
import type { Db } from './connection.js'
import { usageDaily, users } from './schema.js'

type Row = Record<string, string | number>

const TOTALS = ['requests', 'promptTokens', 'cachedTokens', 'completionTokens', 'credits']

/** Usage reports from the `usage_daily` rollup (see usage-report.ts for the query). */
export function usageReportQueries(db: Db) {
  return {
    listUsage: async <Grouping extends UsageGrouping>(query: UsageQuery<Grouping>) => {
      const { rows } = await db.execute<Row>(usageReportQuery({ usageDaily, users }, sql` collate "C"`, query))
      // Sums of bigint come back from the driver as numeric strings; read as numbers, as every amount is (schema.ts).
      return rows.map(
        (row) =>
          Object.fromEntries(
            Object.entries(row).map(([name, value]) => [name, TOTALS.includes(name) ? Number(value) : value])
          ) as UsageGroup<Grouping>
      )
    }
  }
}
