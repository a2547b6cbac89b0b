import { Type, type Static } from '@sinclair/typebox'
import { MAX_BALANCE, MAX_ROW_ID } from '../../db/storage-rules.js'
import { VISIBLE_TEXT_PATTERN } from '../common/schemas.js'

const TIMESTAMP_EXAMPLE = '2026-11-23T10:15:30.000Z'

const KeyIdSchema = Type.Integer({ minimum: 1, maximum: MAX_ROW_ID, description: 'Identifies the key', examples: [3] })

const KeyNameSchema = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: VISIBLE_TEXT_PATTERN,
  description: '1 to 100 characters, not only whitespace, no NUL; leading and trailing whitespace is trimmed',
  examples: ['laptop']
})

const KeyModelsSchema = Type.Array(Type.String({ minLength: 1, maxLength: 64, examples: ['small'] }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true
})

const AllModelsSchema = Type.Union([KeyModelsSchema, Type.Null()], {
  description: 'The models the key may use (ids that `GET /api/models/` lists); null for every model',
  examples: [['small']]
})

function limitSchema(period: string) {
  return Type.Union([Type.Integer({ minimum: 0, maximum: MAX_BALANCE }), Type.Null()], {
    description: `The most tokens the key may spend in a ${period} (UTC); null for no limit of its own`,
    examples: [5000]
  })
}

const keyChanges = {
  name: KeyNameSchema,
  models: AllModelsSchema,
  monthly_limit: limitSchema('calendar month'),
  daily_limit: limitSchema('day')
}

export const ApiKeyCreationSchema = Type.Object(
  {
    name: keyChanges.name,
    expires_at: Type.Optional(
      Type.Union(
        [
          Type.String({
            format: 'date-time',
            description: 'RFC 3339, in the future',
            examples: ['2027-01-01T00:00:00Z']
          }),
          Type.Null()
        ],
        {
          description: 'When the key stops working (RFC 3339, in the future); null or absent: never',
          examples: ['2027-01-01T00:00:00Z']
        }
      )
    ),
    models: Type.Optional(keyChanges.models),
    monthly_limit: Type.Optional(keyChanges.monthly_limit),
    daily_limit: Type.Optional(keyChanges.daily_limit)
  },
  { additionalProperties: false, description: 'A new API key' }
)

export const ApiKeyUpdateSchema = Type.Object(
  {
    name: Type.Optional(keyChanges.name),
    models: Type.Optional(keyChanges.models),
    monthly_limit: Type.Optional(keyChanges.monthly_limit),
    daily_limit: Type.Optional(keyChanges.daily_limit)
  },
  { additionalProperties: false, minProperties: 1, description: 'What to change; what is left out stays' }
)

const nullableTimestamp = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description, examples: [TIMESTAMP_EXAMPLE] })

const keyFields = {
  id: KeyIdSchema,
  name: Type.String({ description: 'What you called it', examples: ['laptop'] }),
  last_four: Type.String({ description: 'The last four characters of its secret', examples: ['x9Qa'] }),
  created_at: Type.String({
    format: 'date-time',
    description: 'When it was made (UTC)',
    examples: [TIMESTAMP_EXAMPLE]
  }),
  last_used_at: nullableTimestamp('When it was last used, to the minute; null if never'),
  expires_at: nullableTimestamp('When it stops working; null for never'),
  revoked_at: nullableTimestamp('When it was revoked; null while it is not'),
  models: AllModelsSchema,
  monthly_limit: keyChanges.monthly_limit,
  daily_limit: keyChanges.daily_limit,
  spend: Type.Object(
    {
      month: Type.Integer({
        minimum: 0,
        description: 'Tokens spent with it this calendar month (UTC)',
        examples: [120]
      }),
      day: Type.Integer({ minimum: 0, description: 'Tokens spent with it today (UTC)', examples: [20] })
    },
    { description: 'What calls with it have spent, holds of calls in progress included' }
  )
}

export const ApiKeySchema = Type.Object(keyFields, { description: 'An API key; its secret is never shown again' })

export const CreatedApiKeySchema = Type.Object(
  {
    ...keyFields,
    secret: Type.String({
      pattern: '^sk-acp-[A-Za-z0-9_-]{43}$',
      description: 'Send as `Authorization: Bearer <secret>` to `/v1`. Shown only now: keep it safe',
      examples: ['sk-acp-3q2-7wEXAMPLEv9yZbTn0pLkM4hGs8uJfRcW1aDx9Qa']
    })
  },
  { description: 'The new key with its secret, which is shown this once' }
)

export const ApiKeyListSchema = Type.Object(
  { keys: Type.Array(ApiKeySchema, { description: 'Newest first, revoked and expired ones included' }) },
  { description: 'API keys' }
)

export const ApiKeyParamsSchema = Type.Object({ id: KeyIdSchema })

export type ApiKey = Static<typeof ApiKeySchema>
export type ApiKeyCreation = Static<typeof ApiKeyCreationSchema>
export type ApiKeyChange = Static<typeof ApiKeyUpdateSchema>
