import { Type, type Static, type TObject } from '@sinclair/typebox'
import { pageQuerySchema } from '../common/schemas.js'

/** At most this many days, both ends included: a leap year. */
export const MAX_REPORT_DAYS = 366

export const USAGE_GROUPINGS = ['day', 'model', 'key'] as const
export const ADMIN_USAGE_GROUPINGS = ['user', 'model', 'day', 'key'] as const
export type ReportGrouping = (typeof ADMIN_USAGE_GROUPINGS)[number]

const cursorExample = 'ZGF5OjIwNzkw'
const pageQuery = pageQuerySchema('^[A-Za-z0-9_-]{1,400}$', cursorExample)

function dateSchema(description: string, example: string) {
  return Type.String({ format: 'date', description, examples: [example] })
}

const rangeQuery = {
  from: Type.Optional(
    dateSchema(
      'The first day counted (UTC), `YYYY-MM-DD`. Default: the first day of the month of `to`, or of this month',
      '2026-12-01'
    )
  ),
  to: Type.Optional(
    dateSchema(
      'The last day counted (UTC), included; at most 365 days after `from`. Default: the last day of the month of ' +
        '`from`, or of this month',
      '2026-12-31'
    )
  )
}

/** A string enum rather than a union of literals: one error names the allowed values, and clients get an enum. */
function groupingSchema<const Grouping extends ReportGrouping>(groupings: readonly Grouping[], description: string) {
  return Type.Unsafe<Grouping>(
    Type.String({ enum: [...groupings], default: groupings[0], description, examples: [groupings[0]] })
  )
}

export const UsageQuerySchema = Type.Object(
  {
    ...rangeQuery,
    group_by: Type.Optional(
      groupingSchema(USAGE_GROUPINGS, 'One row per day with usage, per model, or per API key (`key`)')
    ),
    ...pageQuery.properties
  },
  { additionalProperties: false }
)

export const AdminUsageQuerySchema = Type.Object(
  {
    ...rangeQuery,
    group_by: Type.Optional(
      groupingSchema(
        ADMIN_USAGE_GROUPINGS,
        'One row per user with usage, per model, per day with usage, or per API key (`key`)'
      )
    ),
    username: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 600,
        description: 'Only this user’s usage (matched regardless of case); 404 when there is no such user',
        examples: ['alice']
      })
    ),
    ...pageQuery.properties
  },
  { additionalProperties: false }
)

const totals = {
  requests: Type.Integer({
    minimum: 0,
    description: 'Messages answered, in full or in part (refunded ones cost nothing and are not counted)',
    examples: [42]
  }),
  prompt_tokens: Type.Integer({
    minimum: 0,
    description: 'Prompt tokens sent to the model, cached ones included',
    examples: [29400]
  }),
  cached_tokens: Type.Integer({
    minimum: 0,
    description: 'Of the prompt tokens, those the provider served from its cache',
    examples: [7000]
  }),
  completion_tokens: Type.Integer({ minimum: 0, description: 'Tokens of the replies', examples: [12600] }),
  credits: Type.Integer({
    minimum: 0,
    description: 'What the messages cost, in tokens of the balance',
    examples: [4300]
  })
}

export const DayUsageSchema = Type.Object(
  { day: dateSchema('The day (UTC)', '2026-12-01'), ...totals },
  { description: 'Usage of one day' }
)

export const ModelUsageSchema = Type.Object(
  {
    model: Type.Union([Type.String(), Type.Null()], {
      description: 'The model picked (null for messages from before models could be picked)',
      examples: ['small']
    }),
    ...totals
  },
  { description: 'Usage of one model' }
)

export const KeyUsageSchema = Type.Object(
  {
    api_key_id: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: 'The API key of the `/v1` calls (null for chat messages and calls made with an access token)',
      examples: [7]
    }),
    ...totals
  },
  { description: 'Usage of one API key' }
)

export const UserUsageSchema = Type.Object(
  { username: Type.String({ description: 'The username', examples: ['alice'] }), ...totals },
  { description: 'Usage of one user' }
)

function reportSchema<Grouping extends ReportGrouping, Items extends TObject[]>(
  groupings: readonly Grouping[],
  items: [...Items],
  whose: string
) {
  return Type.Object(
    {
      from: dateSchema('The first day counted (UTC)', '2026-12-01'),
      to: dateSchema('The last day counted (UTC), included', '2026-12-31'),
      group_by: groupingSchema(groupings, 'What each row sums over'),
      items: Type.Array(Type.Union(items), {
        description:
          'One row per group in key order: days and API keys ascending (no key first), models and usernames by code ' +
          'point'
      }),
      next_cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` for the next page; null on the last page',
        examples: [cursorExample]
      })
    },
    { description: `${whose} usage over the days asked for, a page of groups` }
  )
}

export const UsageReportSchema = reportSchema(
  USAGE_GROUPINGS,
  [DayUsageSchema, ModelUsageSchema, KeyUsageSchema],
  'Your'
)

export const AdminUsageReportSchema = reportSchema(
  ADMIN_USAGE_GROUPINGS,
  [UserUsageSchema, ModelUsageSchema, DayUsageSchema, KeyUsageSchema],
  'Everyone’s (or one user’s)'
)

export const UsageCsvSchema = Type.String({
  description:
    'The page as RFC 4180 CSV: a header row naming the columns of `items`, then a record per row, lines ended by ' +
    'CRLF; the next page is in the `Link` header (`rel="next"`)',
  examples: [
    'day,requests,prompt_tokens,cached_tokens,completion_tokens,credits\r\n2026-12-01,42,29400,7000,12600,4300\r\n'
  ]
})

export type UsageQuery = Static<typeof UsageQuerySchema>
export type AdminUsageQuery = Static<typeof AdminUsageQuerySchema>
export type UsageReport = Static<typeof AdminUsageReportSchema>
export type UsageItem = UsageReport['items'][number]
