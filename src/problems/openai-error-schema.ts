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
        message: Type.String(),
        type: Type.String({ examples: ['invalid_request_error'] }),
        code: Type.Union([Type.String(), Type.Null()], { examples: ['invalid_api_key'] }),
        param: Type.Union([Type.String(), Type.Null()])
      },
      { additionalProperties: true }
    )
  },
  { $id: 'OpenAiError', description: 'An error in OpenAI’s shape' }
)

export type OpenAiError = Static<typeof OpenAiErrorSchema>
