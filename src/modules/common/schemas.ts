import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { STATUS_CODES } from 'node:http'

export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: 'URI that identifies the problem type',
      examples: ['urn:ai-chat-api:problem:insufficient_tokens']
    }),
    title: Type.String({ description: 'Short summary of the problem type', examples: ['Payment Required'] }),
    status: Type.Integer({ minimum: 400, maximum: 599, examples: [402] }),
    detail: Type.String({ examples: ['Your balance of 40 tokens does not cover the 100-token cost of a message'] }),
    code: Type.String({ description: 'Stable machine-readable error code', examples: ['insufficient_tokens'] }),
    instance: Type.Optional(Type.String({ description: 'The request path that produced the problem' })),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String({
            description: 'JSON pointer (as a URI fragment) into the request part',
            examples: ['#/username']
          }),
          location: Type.String({ examples: ['body'] }),
          message: Type.String({ examples: ['must NOT have fewer than 3 characters'] })
        }),
        { description: 'Every field that failed validation (validation problems only)' }
      )
    ),
    balance: Type.Optional(Type.Integer({ description: 'Current token balance (insufficient_tokens only)' })),
    cost: Type.Optional(Type.Integer({ description: 'Cost of the refused operation (insufficient_tokens only)' })),
    refunded: Type.Optional(
      Type.Boolean({ description: 'Whether the reserved cost was credited back (upstream problems only)' })
    )
  },
  { $id: 'Problem', description: 'An RFC 9457 problem details object' }
)

export type Problem = Static<typeof ProblemSchema>

/** The problem+json responses a route can return, keyed by status, for its response schema. */
export function problemResponses<const Status extends number>(...statuses: Status[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: STATUS_CODES[status],
        content: { 'application/problem+json': { schema: Type.Ref(ProblemSchema) } }
      }
    ])
  ) as Record<Status, { description: string; content: { 'application/problem+json': { schema: TSchema } } }>
}

export const BearerSecurity = [{ bearerAuth: [] }]

export const IdempotencyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Makes retries safe: the same key with the same body within 24 hours replays the first answer (with ' +
        '`Idempotent-Replayed: true`) and charges nothing more; another body is 422; a retry while the first is ' +
        'still running is 409. Keys are yours alone.',
      examples: ['3f2b8c1e-6a4d-4e9b-9c1a-7d2e5f8b0a13']
    })
  )
})

/** Keyset pagination: the query takes the previous page's `next_cursor` (in the given format) and a page size. */
export function pageQuerySchema(cursorPattern: string, cursorExample: string) {
  return Type.Object(
    {
      cursor: Type.Optional(
        Type.String({
          pattern: cursorPattern,
          description: 'Opaque cursor from the previous page’s `next_cursor`',
          examples: [cursorExample]
        })
      ),
      limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' })
    },
    { additionalProperties: false }
  )
}

export function pageSchema<Item extends TObject>(item: Item, cursorExample: string, what: string, order: string) {
  return Type.Object(
    {
      items: Type.Array(item, { description: `Your ${what}, ${order}` }),
      next_cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` for the next page; null on the last page',
        examples: [cursorExample]
      })
    },
    { description: `A page of your ${what}` }
  )
}
