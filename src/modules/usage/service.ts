import { DAY_MS, MAX_ROW_ID } from '../../db/storage-rules.js'
import type { AccountStore, UsageGroup, UsageGrouping, UsageKey, UsageStore } from '../../db/store.js'
import { validationFailed } from '../../problems/errors.js'
import { accountIdOf } from '../admin/service.js'
import { toCsv } from '../common/csv.js'
import { toPage } from '../common/pages.js'
import { DEFAULT_PAGE_SIZE } from '../common/schemas.js'
import { MAX_REPORT_DAYS, type AdminUsageQuery, type UsageItem, type UsageQuery, type UsageReport } from './schemas.js'

interface GroupingRules<Grouping extends UsageGrouping> {
  /** The item's member (and the CSV's first column) that names the group. */
  field: 'day' | 'model' | 'username' | 'api_key_id'
  name(group: UsageGroup<Grouping>): string | number | null
  /** The key a cursor holds; undefined when the text is none. */
  keyFrom(text: string): UsageKey<Grouping> | undefined
}

/** Days, user ids and key ids all fit PostgreSQL's int4 columns; a cursor past that is none this API gave. */
const wholeNumber = (text: string) =>
  /^(0|[1-9][0-9]{0,9})$/.test(text) && Number(text) <= MAX_ROW_ID ? Number(text) : undefined

const GROUPINGS: { [Grouping in UsageGrouping]: GroupingRules<Grouping> } = {
  day: { field: 'day', name: (group) => isoDate(group.key), keyFrom: wholeNumber },
  // '' is the rollup's model of chats from before metering that named none.
  model: { field: 'model', name: (group) => group.key || null, keyFrom: (text) => text },
  user: { field: 'username', name: (group) => group.username, keyFrom: wholeNumber },
  // 0 is the rollup's key of usage made without an API key.
  key: { field: 'api_key_id', name: (group) => group.key || null, keyFrom: wholeNumber }
}

const TOTAL_COLUMNS = ['requests', 'prompt_tokens', 'cached_tokens', 'completion_tokens', 'credits'] as const

interface ReportRequest {
  groupBy: UsageGrouping
  /** Only this user's usage; everyone's without it. */
  userId: number | undefined
  from?: string | undefined
  to?: string | undefined
  cursor?: string | undefined
  limit?: number | undefined
}

/** The caller's own usage, by day (the default), by model or by API key. */
export function callerUsageReport(store: UsageStore, userId: number, query: UsageQuery) {
  return usageReport(store, { ...query, groupBy: query.group_by ?? 'day', userId })
}

/** Everyone's usage, or the user's of `username` (404 `user_not_found` when there is none), by user, model, day or API key. */
export async function adminUsageReport(store: UsageStore & AccountStore, query: AdminUsageQuery) {
  const userId = query.username === undefined ? undefined : await accountIdOf(store, query.username)
  return usageReport(store, { ...query, groupBy: query.group_by ?? 'user', userId })
}

/** A page of groups over the days asked for; the cursor holds the grouping and the last group's key. */
async function usageReport(store: UsageStore, request: ReportRequest): Promise<UsageReport> {
  const { groupBy, userId, cursor, limit = DEFAULT_PAGE_SIZE } = request
  const { fromDay, toDay } = reportDays(request.from, request.to, Math.floor(Date.now() / DAY_MS))
  const rules = GROUPINGS[groupBy] as GroupingRules<UsageGrouping>
  const after = cursor === undefined ? undefined : keyOfCursor(groupBy, rules, cursor)
  const groups = await store.listUsage({ groupBy, userId, fromDay, toDay, after, limit: limit + 1 })
  const page = toPage(
    groups,
    limit,
    (group) => toItem(rules, group),
    (group) => Buffer.from(`${groupBy}:${group.key}`).toString('base64url')
  )
  return { from: isoDate(fromDay), to: isoDate(toDay), group_by: groupBy, ...page }
}

/**
 * Both days as given, or the rest of the month of the one given, or this month (UTC). A range that ends before it
 * starts, or is longer than MAX_REPORT_DAYS, is a validation problem.
 */
function reportDays(from: string | undefined, to: string | undefined, today: number) {
  const fromDay = from === undefined ? monthOf(to === undefined ? today : dayOf(to)).first : dayOf(from)
  const toDay = to === undefined ? monthOf(from === undefined ? today : dayOf(from)).last : dayOf(to)
  if (fromDay > toDay) {
    throw validationFailed('querystring', [{ pointer: '#/from', message: 'must not be after `to`' }])
  }
  if (toDay - fromDay + 1 > MAX_REPORT_DAYS) {
    const message = `must be at most ${MAX_REPORT_DAYS - 1} days after \`from\``
    throw validationFailed('querystring', [{ pointer: '#/to', message }])
  }
  return { fromDay, toDay }
}

function keyOfCursor(groupBy: UsageGrouping, rules: GroupingRules<UsageGrouping>, cursor: string) {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const prefix = `${groupBy}:`
  const key = text.startsWith(prefix) ? rules.keyFrom(text.slice(prefix.length)) : undefined
  if (key === undefined) {
    const message = 'is not a cursor of this report: pass `next_cursor` with the same `group_by`'
    throw validationFailed('querystring', [{ pointer: '#/cursor', message }])
  }
  return key
}

function toItem(rules: GroupingRules<UsageGrouping>, group: UsageGroup<UsageGrouping>): UsageItem {
  return {
    [rules.field]: rules.name(group),
    requests: group.requests,
    prompt_tokens: group.promptTokens,
    cached_tokens: group.cachedTokens,
    completion_tokens: group.completionTokens,
    credits: group.credits
  } as UsageItem
}

/** The page as RFC 4180 CSV: the group's column, then the totals. */
export function usageCsv(report: UsageReport): string {
  const header = [GROUPINGS[report.group_by].field, ...TOTAL_COLUMNS]
  const rows = report.items.map((item) =>
    header.map((column) => (item as Record<string, string | number | null>)[column] ?? null)
  )
  return toCsv(header, rows)
}

const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS

function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

function monthOf(day: number) {
  const date = new Date(day * DAY_MS)
  const year = date.getUTCFullYear()
  const month = date.getUTCMonth()
  return { first: Date.UTC(year, month, 1) / DAY_MS, last: Date.UTC(year, month + 1, 1) / DAY_MS - 1 }
}
