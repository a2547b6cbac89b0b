import { Type, type Static } from '@sinclair/typebox'
import { MonthlyLimitSchema } from '../account/schemas.js'
import { pageQuerySchema, pageSchema, VISIBLE_TEXT_PATTERN } from '../common/schemas.js'

const UsernameExample = { description: 'The username', examples: ['alice'] }

export const AdminUserSchema = Type.Object(
  {
    username: Type.String(UsernameExample),
    tokens: Type.Integer({ minimum: 0, description: 'Token balance', examples: [4000] }),
    is_active: Type.Boolean({
      description: 'A deactivated user can neither log in nor use their tokens',
      examples: [true]
    }),
    is_admin: Type.Boolean({ description: 'May use the admin API', examples: [false] }),
    created_at: Type.String({
      format: 'date-time',
      description: 'When the user registered (UTC)',
      examples: ['2026-11-23T10:15:30.000Z']
    })
  },
  { description: 'A user account as administrators see it' }
)

const cursorExample = 'Ym9i'
const pageQuery = pageQuerySchema('^[A-Za-z0-9_-]{1,1000}$', cursorExample)

export const AdminUserPageQuerySchema = Type.Object(
  {
    search: Type.Optional(
      Type.String({
        maxLength: 150,
        description: 'Only users whose username starts with this, regardless of case',
        examples: ['al']
      })
    ),
    ...pageQuery.properties
  },
  { additionalProperties: false }
)

export const AdminUserPageSchema = pageSchema(AdminUserSchema, cursorExample, 'users', 'in username order')

export const AdminUserParamsSchema = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 600, ...UsernameExample, description: 'Matched regardless of case' })
})

export const NoteSchema = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: VISIBLE_TEXT_PATTERN,
  description: 'Why; up to 500 characters, not only whitespace, no NUL. The user sees it in their transactions',
  examples: ['Compensation for the outage on 23 November']
})

export const TokenAdjustmentRequestSchema = Type.Object(
  {
    amount: Type.Integer({
      minimum: -Number.MAX_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
      not: { const: 0 },
      description: 'Tokens to add (a grant) when positive, to take away (a debit) when negative; never 0',
      examples: [500]
    }),
    note: Type.Optional(NoteSchema)
  },
  { additionalProperties: false }
)

export const TokenAdjustmentSchema = Type.Object(
  {
    username: Type.String(UsernameExample),
    tokens: Type.Integer({ minimum: 0, description: 'The balance after the adjustment', examples: [4500] }),
    delta: Type.Integer({ description: 'The amount added (positive) or taken away (negative)', examples: [500] }),
    note: Type.Union([Type.String(), Type.Null()], {
      description: 'The note given with the adjustment, if any',
      examples: ['Compensation for the outage on 23 November']
    })
  },
  { description: 'The balance was adjusted and the ledger records it' }
)

export const AdminUserUpdateSchema = Type.Object(
  {
    is_active: Type.Optional(
      Type.Boolean({
        description: 'false deactivates the user and ends all their sessions at once; true lets them log in again',
        examples: [false]
      })
    ),
    is_admin: Type.Optional(
      Type.Boolean({
        description: 'true makes the user an administrator, false takes it away; either takes effect at once',
        examples: [true]
      })
    ),
    monthly_limit: Type.Optional(MonthlyLimitSchema('An administrator’s cap on what the user spends'))
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'What to change; at least one of the three',
    examples: [{ is_active: false }]
  }
)

export const UnlockSchema = Type.Object(
  {
    username: Type.String(UsernameExample),
    cleared_counts: Type.Integer({
      minimum: 0,
      description:
        'How many failure counts were cleared: one per address the username failed to log in from, and one for ' +
        'wrong old passwords; 0 when there was no lockout to lift',
      examples: [2]
    })
  },
  { description: 'The user may try to log in again from every address' }
)

export type Unlock = Static<typeof UnlockSchema>
export type AdminUser = Static<typeof AdminUserSchema>
export type AdminUserUpdate = Static<typeof AdminUserUpdateSchema>
export type AdminUserPageQuery = Static<typeof AdminUserPageQuerySchema>
export type TokenAdjustment = Static<typeof TokenAdjustmentSchema>
