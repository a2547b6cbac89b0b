import { Type, type Static } from '@sinclair/typebox'

export const TokenBalanceSchema = Type.Object(
  {
    username: Type.String({ description: 'Your username', examples: ['alice'] }),
    tokens: Type.Integer({ minimum: 0, description: 'Remaining token balance', examples: [3900] })
  },
  { description: 'Your balance' }
)

/** A cap on a month's spend in tokens, or null for none. */
export function MonthlyLimitSchema(whose: string) {
  return Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()], {
    description:
      `${whose} per UTC calendar month, in tokens; null for no cap. A message's worst-case cost counts when it is ` +
      'held, and what its reply did not use comes back when it settles',
    examples: [5000]
  })
}

export const AccountUpdateSchema = Type.Object(
  { monthly_limit: MonthlyLimitSchema('Your own cap on what you spend') },
  { additionalProperties: false, description: 'What to change of your account', examples: [{ monthly_limit: 5000 }] }
)

export const SpendLimitsSchema = Type.Object(
  {
    monthly_limit: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'Your own cap on a UTC month’s spend, in tokens; null for none',
      examples: [5000]
    }),
    admin_monthly_limit: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'An administrator’s cap on the same spend; null for none. Both caps apply',
      examples: [null]
    }),
    month_spent: Type.Integer({
      minimum: 0,
      description: 'What this month’s messages have held and cost so far (unused holds given back)',
      examples: [1200]
    }),
    month_resets_at: Type.String({
      format: 'date-time',
      description: 'When the month ends and its spend starts again from zero (UTC)',
      examples: ['2027-01-01T00:00:00.000Z']
    })
  },
  { description: 'Your monthly spend limits and what this month has spent' }
)

export type AccountUpdate = Static<typeof AccountUpdateSchema>
export type SpendLimits = Static<typeof SpendLimitsSchema>

export const AccountDeletionSchema = Type.Object(
  {
    password: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Your current password',
      examples: ['correct horse battery staple']
    })
  },
  { additionalProperties: false, description: 'Your password, to confirm the deletion' }
)
