import { Type, type Static } from '@sinclair/typebox'

/**
 * The body of every `/v1` error, as OpenAI sends one (the rest of the API answers problem+json). Added to the root
 * app beside ProblemSchema: a schema added inside a route plugin would give that plugin a validator of Fastify's
 * defaults, which coerce types and drop unknown properties instead of refusing them.
 */
export const OpenAiErrorSchema = Type.Object(
  {
    error: Type.Object(
      {
        message: Type.String({
          description: 'What went wrong, for people: the `detail` the rest of the API gives in a problem',
          examples: ['The API key is unknown, revoked or expired']
        }),
        type: Type.String({
          description:
            'The kind of error, as OpenAI names them: `invalid_request_error`, `authentication_error`, ' +
            '`permission_error`, `requests` (rate limits), `insufficient_quota` (the balance or a spend limit), ' +
            '`server_error`',
          examples: ['authentication_error']
        }),
        code: Type.Union([Type.String(), Type.Null()], {
          description:
            'Stable machine-readable code, never null here: OpenAI’s where it has one (`invalid_api_key`, ' +
            '`unsupported_parameter`, `missing_required_parameter`, `invalid_value`, `model_not_found`, ' +
            '`insufficient_quota`, `rate_limit_exceeded`), else the code a problem gives (`idempotency_key_reused`, ' +
            '`upstream_error`, …)',
          examples: ['invalid_api_key']
        }),
        param: Type.Union([Type.String(), Type.Null()], {
          description: 'The request parameter at fault, in OpenAI’s notation (`messages[0].role`); null for none',
          examples: ['messages[0].role']
        }),
        balance: Type.Optional(
          Type.Integer({
            description: 'Your token balance (code `insufficient_quota` only)',
            examples: [40]
          })
        ),
        cost: Type.Optional(
          Type.Integer({
            description: 'What the smallest call with this model would hold (code `insufficient_quota` only)',
            examples: [100]
          })
        ),
        refunded: Type.Optional(
          Type.Boolean({
            description:
              'Whether the held cost was credited back, or will be once the database takes writes again (upstream ' +
              'and storage errors of a call only)',
            examples: [true]
          })
        )
      },
      {
        additionalProperties: true,
        description: 'What went wrong; some errors add members of their own, as their problems do'
      }
    )
  },
  { $id: 'OpenAiError', description: 'An error in OpenAI’s shape' }
)

export type OpenAiError = Static<typeof OpenAiErrorSchema>
