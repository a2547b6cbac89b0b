import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { STATUS_CODES } from 'node:http'
import { SPEND_LIMITS } from '../db/storage-rules.js'
import { problemExample, type ExampleProblem } from './examples.js'

export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: 'URI that identifies the problem type',
      examples: ['urn:ai-chat-api:problem:insufficient_tokens']
    }),
    title: Type.String({ description: 'Short summary of the problem type', examples: ['Payment Required'] }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: 'The HTTP status code', examples: [402] }),
    detail: Type.String({
      description: 'What went wrong, for people',
      examples: ['Your balance of 40 tokens does not cover the 100-token cost of a message']
    }),
    code: Type.String({ description: 'Stable machine-readable error code', examples: ['insufficient_tokens'] }),
    instance: Type.Optional(
      Type.String({ description: 'The request path that produced the problem', examples: ['/api/chat_msg/'] })
    ),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String({
            description: 'JSON pointer (as a URI fragment) into the request part',
            examples: ['#/username']
          }),
          location: Type.String({ description: 'The request part: body, querystring or params', examples: ['body'] }),
          message: Type.String({
            description: 'What is wrong with it',
            examples: ['must NOT have fewer than 2 characters']
          })
        }),
        { description: 'Every field that failed validation (validation problems only)' }
      )
    ),
    balance: Type.Optional(
      Type.Integer({ description: 'Current token balance (insufficient_tokens only)', examples: [40] })
    ),
    cost: Type.Optional(
      Type.Integer({ description: 'Cost of the refused operation (insufficient_tokens only)', examples: [100] })
    ),
    limit: Type.Optional(
      Type.String({
        enum: [...SPEND_LIMITS],
        description:
          'The spend limit that refused the message: `key_daily` and `key_monthly` an API key’s, `user_monthly` ' +
          'your own, `admin_monthly` an administrator’s (spend_limit_reached only)',
        examples: ['user_monthly']
      })
    ),
    limit_tokens: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'The limit’s size in tokens (spend_limit_reached only)',
        examples: [5000]
      })
    ),
    remaining: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'What is left of the limit in its period (spend_limit_reached only)',
        examples: [40]
      })
    ),
    reset_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the limit’s period ends (UTC; spend_limit_reached only)',
        examples: ['2027-01-01T00:00:00.000Z']
      })
    ),
    refunded: Type.Optional(
      Type.Boolean({
        description:
          'Whether the reserved cost was credited back, or will be once the database takes writes again (upstream and ' +
          'storage problems of a chat only)',
        examples: [true]
      })
    ),
    checks: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'The state of each readiness check (not_ready only)',
        examples: [{ database: 'ok', migrations: 'pending', limits: 'ok' }]
      })
    )
  },
  { $id: 'Problem', description: 'An RFC 9457 problem details object' }
)

export type Problem = Static<typeof ProblemSchema>

interface ProblemResponse {
  description: string
  content: { 'application/problem+json': { schema: TSchema; example: unknown } }
}

/** The problem+json responses a route can return, keyed by status, for its response schema; each has an example. */
export function problemResponses<const Status extends number>(...statuses: Status[]) {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)])) as Record<
    Status,
    ProblemResponse
  >
}

/** One reference for every route: response serializers are compiled once per schema object (shared-serializers.ts). */
const PROBLEM_REF = Type.Ref(ProblemSchema)

/** One problem+json response, with the typical example for its status or the one given. */
export function problemResponse(status: number, example?: ExampleProblem): ProblemResponse {
  return {
    description: STATUS_CODES[status] ?? 'Error',
    content: {
      'application/problem+json': { schema: PROBLEM_REF, example: problemExample(status, example) }
    }
  }
}
