import { Type, type Static } from '@sinclair/typebox'
export { OpenAiErrorSchema, type OpenAiError } from '../../problems/openai-error-schema.js'

/** Text without NUL (U+0000), which no store can keep alike. */
const NO_NUL_PATTERN = '^[^\\u0000]*$'
const MAX_CONTENT_CHARACTERS = 200_000

const TextPartSchema = Type.Object(
  {
    type: Type.Literal('text'),
    text: Type.String({ maxLength: MAX_CONTENT_CHARACTERS, pattern: NO_NUL_PATTERN })
  },
  { additionalProperties: false }
)

const ContentSchema = Type.Union(
  [
    Type.String({ maxLength: MAX_CONTENT_CHARACTERS, pattern: NO_NUL_PATTERN }),
    Type.Array(TextPartSchema, { minItems: 1, maxItems: 64 })
  ],
  { description: 'Text, or an array of text parts (other kinds of parts are not supported)' }
)

const MessageSchema = Type.Object(
  {
    role: Type.Union(
      [Type.Literal('system'), Type.Literal('developer'), Type.Literal('user'), Type.Literal('assistant')],
      {
        description: '`developer` is sent to the model as `system`'
      }
    ),
    content: ContentSchema,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: NO_NUL_PATTERN }))
  },
  { additionalProperties: false }
)

const TokenCountSchema = Type.Integer({ minimum: 1, maximum: 1_000_000 })

export const CompletionRequestSchema = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'One of the models `GET /v1/models` lists',
      examples: ['offline']
    }),
    messages: Type.Array(MessageSchema, { minItems: 1, maxItems: 1024 }),
    max_tokens: Type.Optional(TokenCountSchema),
    max_completion_tokens: Type.Optional(TokenCountSchema),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    presence_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
    seed: Type.Optional(Type.Integer()),
    stop: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 256, pattern: NO_NUL_PATTERN }),
        Type.Array(Type.String({ minLength: 1, maxLength: 256, pattern: NO_NUL_PATTERN }), { maxItems: 4 })
      ])
    ),
    n: Type.Optional(Type.Literal(1, { description: 'Only one choice is generated' })),
    stream: Type.Optional(Type.Boolean()),
    stream_options: Type.Optional(
      Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
    ),
    user: Type.Optional(Type.String({ maxLength: 256, pattern: NO_NUL_PATTERN }))
  },
  {
    additionalProperties: false,
    description:
      'OpenAI’s Chat Completions request. Parameters not listed here (tools, logprobs, response_format, n > 1 …) are ' +
      'refused with 400 `unsupported_parameter`: each could change what the model writes and what the call costs.',
    examples: [{ model: 'offline', messages: [{ role: 'user', content: 'What is the capital of France?' }] }]
  }
)

const UsageSchema = Type.Object(
  {
    prompt_tokens: Type.Integer({ minimum: 0 }),
    completion_tokens: Type.Integer({ minimum: 0 }),
    total_tokens: Type.Integer({ minimum: 0 }),
    prompt_tokens_details: Type.Object({ cached_tokens: Type.Integer({ minimum: 0 }) }),
    cost: Type.Integer({ minimum: 0, description: 'What the call was charged, in tokens of your balance' }),
    remaining_tokens: Type.Integer({ minimum: 0, description: 'Your balance once the call was charged' })
  },
  { description: 'The tokens of the call (as the provider reported them, or counted here) and its charge' }
)

const FinishReasonSchema = Type.Union([Type.Literal('stop'), Type.Literal('length'), Type.Literal('content_filter')])

export const CompletionSchema = Type.Object(
  {
    id: Type.String({ examples: ['chatcmpl-42'] }),
    object: Type.Literal('chat.completion'),
    created: Type.Integer({ description: 'Unix seconds' }),
    model: Type.String({ examples: ['offline'] }),
    choices: Type.Array(
      Type.Object({
        index: Type.Integer({ minimum: 0 }),
        message: Type.Object({
          role: Type.Literal('assistant'),
          content: Type.String(),
          refusal: Type.Null()
        }),
        logprobs: Type.Null(),
        finish_reason: FinishReasonSchema
      })
    ),
    usage: UsageSchema
  },
  { description: 'The model’s answer; the call was charged' }
)

export const CompletionChunkSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.completion.chunk'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object({
        index: Type.Integer({ minimum: 0 }),
        delta: Type.Object({
          role: Type.Optional(Type.Literal('assistant')),
          content: Type.Optional(Type.String())
        }),
        logprobs: Type.Null(),
        finish_reason: Type.Union([FinishReasonSchema, Type.Null()])
      })
    ),
    usage: Type.Optional(Type.Union([UsageSchema, Type.Null()]))
  },
  { description: 'One `data:` event of a streamed answer' }
)

export const ChunkStreamSchema = Type.String({
  description:
    'Server-Sent Events: `data:` lines of `chat.completion.chunk` objects (the last one, with `stream_options.' +
    'include_usage`, has empty `choices` and the `usage`), then `data: [DONE]`; or, when the call fails after it ' +
    'began, one `data:` line with an `error` object and no `[DONE]`',
  examples: [
    'data: {"id":"chatcmpl-42","object":"chat.completion.chunk","created":1764547200,"model":"offline",' +
      '"choices":[{"index":0,"delta":{"content":"Paris"},"logprobs":null,"finish_reason":null}]}\n\ndata: [DONE]\n\n'
  ]
})

export const ModelListSchema = Type.Object(
  {
    object: Type.Literal('list'),
    data: Type.Array(
      Type.Object({
        id: Type.String({ examples: ['offline'] }),
        object: Type.Literal('model'),
        created: Type.Integer({ description: 'Unix seconds: when this instance loaded its model list' }),
        owned_by: Type.String({ examples: ['ai-chat-api'] })
      })
    )
  },
  { description: 'The models the key (or access token) may use; prices are at `GET /api/models/`' }
)

export type CompletionRequest = Static<typeof CompletionRequestSchema>
export type Completion = Static<typeof CompletionSchema>
export type CompletionChunk = Static<typeof CompletionChunkSchema>
export type CompletionUsage = Static<typeof UsageSchema>
export type ModelList = Static<typeof ModelListSchema>
