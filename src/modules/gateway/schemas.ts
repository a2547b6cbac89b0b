import { Type, type Static } from '@sinclair/typebox'
export { OpenAiErrorSchema, type OpenAiError } from '../../problems/openai-error-schema.js'

/** Text without NUL (U+0000), which no store can keep alike. */
const NO_NUL_PATTERN = '^[^\\u0000]*$'
const MAX_CONTENT_CHARACTERS = 200_000
const QUESTION = 'What is the capital of France?'
const ANSWER = 'The capital of France is Paris.'
/** 2025-12-01T00:00:00Z */
const EXAMPLE_UNIX_SECONDS = 1764547200

const TextPartSchema = Type.Object(
  {
    type: Type.Literal('text', { description: 'The kind of part; only `text` is supported' }),
    text: Type.String({
      maxLength: MAX_CONTENT_CHARACTERS,
      pattern: NO_NUL_PATTERN,
      description: 'The text of this part',
      examples: [QUESTION]
    })
  },
  { additionalProperties: false }
)

const ContentSchema = Type.Union(
  [
    Type.String({ maxLength: MAX_CONTENT_CHARACTERS, pattern: NO_NUL_PATTERN }),
    Type.Array(TextPartSchema, { minItems: 1, maxItems: 64 })
  ],
  {
    description:
      'The text of the message: a string, or 1 to 64 text parts, which reach the model joined into one text (image, ' +
      'audio and file parts are not supported); at most 200,000 characters each, without NUL',
    examples: [QUESTION]
  }
)

const MessageSchema = Type.Object(
  {
    role: Type.Union(
      [Type.Literal('system'), Type.Literal('developer'), Type.Literal('user'), Type.Literal('assistant')],
      {
        description:
          'Who the message is from: `system` or `developer` for instructions (`developer`, OpenAI’s newer name, is ' +
          'sent to the model as `system`), `user` for the caller’s turns, `assistant` for the model’s earlier replies',
        examples: ['user']
      }
    ),
    content: ContentSchema,
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: NO_NUL_PATTERN,
        description: 'A name for the author, to tell participants of one role apart; accepted, not sent to the model',
        examples: ['alice']
      })
    )
  },
  { additionalProperties: false }
)

function tokenCount(description: string) {
  return Type.Integer({ minimum: 1, maximum: 1_000_000, description, examples: [256] })
}

const StopSequenceSchema = Type.String({ minLength: 1, maxLength: 256, pattern: NO_NUL_PATTERN })

export const CompletionRequestSchema = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'One of the models `GET /v1/models` lists (for an API key with a model list, one of those)',
      examples: ['offline']
    }),
    messages: Type.Array(MessageSchema, {
      minItems: 1,
      maxItems: 1024,
      description:
        'The conversation so far, oldest first, 1 to 1024 messages, sent to the model as given: no system prompt is ' +
        'added and nothing is kept for the next call'
    }),
    max_tokens: Type.Optional(
      tokenCount(
        'OpenAI’s older name for `max_completion_tokens`, the same limit here; when both are given they must be equal'
      )
    ),
    max_completion_tokens: Type.Optional(
      tokenCount(
        'The most tokens the reply may have: at most the model’s `max_output_tokens` (`GET /api/models/`), which is ' +
          'the default. Its worst-case cost is held from your balance before the call; when the balance cannot hold ' +
          'it, the limit is lowered to what the balance affords (16 tokens at least, else 429 `insufficient_quota`). ' +
          'A reply cut off at the limit ends with `finish_reason: length`'
      )
    ),
    temperature: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 2,
        description: 'Sampling temperature, 0 to 2: higher is more random; the provider’s default when left out',
        examples: [0.7]
      })
    ),
    top_p: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          'Nucleus sampling, 0 to 1: only the most likely tokens making up this probability mass are considered ' +
          '(OpenAI advises changing this or `temperature`, not both)',
        examples: [1]
      })
    ),
    presence_penalty: Type.Optional(
      Type.Number({
        minimum: -2,
        maximum: 2,
        description: '−2 to 2: above 0 penalises tokens that have appeared at all, nudging the model to new topics',
        examples: [0]
      })
    ),
    frequency_penalty: Type.Optional(
      Type.Number({
        minimum: -2,
        maximum: 2,
        description: '−2 to 2: above 0 penalises tokens by how often they have appeared, against repetition',
        examples: [0]
      })
    ),
    seed: Type.Optional(
      Type.Integer({
        description:
          'Asks the provider to sample deterministically, as far as it can: the same seed and parameters should give ' +
          'the same reply',
        examples: [42]
      })
    ),
    stop: Type.Optional(
      Type.Union([StopSequenceSchema, Type.Array(StopSequenceSchema, { maxItems: 4 })], {
        description:
          'A sequence, or up to 4, of 1 to 256 characters each, at which the model stops writing (the reply leaves ' +
          'it out and ends with `finish_reason: stop`)',
        examples: [['\n\n']]
      })
    ),
    n: Type.Optional(
      Type.Literal(1, { description: 'How many choices to generate: only 1 (the default), so `choices` has one' })
    ),
    stream: Type.Optional(
      Type.Boolean({
        description:
          'Whether to answer with Server-Sent Events (`text/event-stream`) of `chat.completion.chunk` objects as the ' +
          'reply is written, instead of one `chat.completion`; false when left out',
        examples: [false]
      })
    ),
    stream_options: Type.Optional(
      Type.Object(
        {
          include_usage: Type.Optional(
            Type.Boolean({
              description:
                'Whether a last chunk before `data: [DONE]` carries the call’s `usage` (its charge included) with ' +
                'empty `choices`; every other chunk then has `usage: null`',
              examples: [true]
            })
          )
        },
        { additionalProperties: false, description: 'Options for a streamed answer (`stream: true`)' }
      )
    ),
    user: Type.Optional(
      Type.String({
        maxLength: 256,
        pattern: NO_NUL_PATTERN,
        description: 'A stable id of your end user, passed on to the provider for its abuse monitoring',
        examples: ['user-1234']
      })
    )
  },
  {
    additionalProperties: false,
    description:
      'OpenAI’s Chat Completions request. Parameters not listed here (tools, logprobs, response_format, n > 1 …) are ' +
      'refused with 400 `unsupported_parameter`: each could change what the model writes and what the call costs.',
    examples: [{ model: 'offline', messages: [{ role: 'user', content: QUESTION }] }]
  }
)

const UsageSchema = Type.Object(
  {
    prompt_tokens: Type.Integer({
      minimum: 0,
      description: 'Tokens in the prompt, the cached ones included',
      examples: [21]
    }),
    completion_tokens: Type.Integer({ minimum: 0, description: 'Tokens in the reply', examples: [7] }),
    total_tokens: Type.Integer({
      minimum: 0,
      description: '`prompt_tokens` + `completion_tokens`',
      examples: [28]
    }),
    prompt_tokens_details: Type.Object(
      {
        cached_tokens: Type.Integer({
          minimum: 0,
          description: 'Prompt tokens the provider read from its cache, charged at the cached-input price (0 if none)',
          examples: [0]
        })
      },
      { description: 'What the prompt tokens were' }
    ),
    cost: Type.Integer({
      minimum: 0,
      description:
        'What the call was charged, in tokens of your balance: the model’s prices applied to this usage (the rest ' +
        'of the hold taken before the call was credited back)',
      examples: [2]
    }),
    remaining_tokens: Type.Integer({
      minimum: 0,
      description: 'Your token balance once the call was charged',
      examples: [3998]
    })
  },
  {
    description:
      'The tokens of the call, as the provider reported them (or, when it reported none, counted here with the ' +
      'tokenizer), and its charge'
  }
)

const FINISH_REASONS =
  '`stop` at a natural end or a `stop` sequence, `length` at `max_completion_tokens` (or the model’s own limit), ' +
  '`content_filter` when the provider’s filter withheld the rest'

const FinishReasonSchema = Type.Union([Type.Literal('stop'), Type.Literal('length'), Type.Literal('content_filter')], {
  description: `Why the model stopped: ${FINISH_REASONS}`,
  examples: ['stop']
})

const ChoiceIndexSchema = Type.Integer({
  minimum: 0,
  description: 'The choice’s position in `choices`: 0, the only one',
  examples: [0]
})

const LogprobsSchema = Type.Null({ description: 'Always null: log probabilities are not supported', examples: [null] })

const AssistantRoleSchema = Type.Literal('assistant', { description: 'Always `assistant`' })

const CompletionIdSchema = Type.String({
  description: 'The completion’s id: `chatcmpl-` and the id of the chat the call was recorded as',
  examples: ['chatcmpl-42']
})

const ModelIdSchema = Type.String({ description: 'The model, as the request named it', examples: ['offline'] })

export const CompletionSchema = Type.Object(
  {
    id: CompletionIdSchema,
    object: Type.Literal('chat.completion', { description: 'Always `chat.completion`' }),
    created: Type.Integer({ description: 'When the call began, in Unix seconds', examples: [EXAMPLE_UNIX_SECONDS] }),
    model: ModelIdSchema,
    choices: Type.Array(
      Type.Object({
        index: ChoiceIndexSchema,
        message: Type.Object(
          {
            role: AssistantRoleSchema,
            content: Type.String({ description: 'The text the model wrote', examples: [ANSWER] }),
            refusal: Type.Null({
              description: 'Always null: a refusal, if any, is in `content`',
              examples: [null]
            })
          },
          { description: 'The reply' }
        ),
        logprobs: LogprobsSchema,
        finish_reason: FinishReasonSchema
      }),
      { description: 'The reply, as one choice (`n` is 1)' }
    ),
    usage: UsageSchema
  },
  { description: 'The model’s answer; the call was charged' }
)

export const CompletionChunkSchema = Type.Object(
  {
    id: CompletionIdSchema,
    object: Type.Literal('chat.completion.chunk', { description: 'Always `chat.completion.chunk`' }),
    created: Type.Integer({
      description: 'When the answer began, in Unix seconds; the same in every chunk',
      examples: [EXAMPLE_UNIX_SECONDS]
    }),
    model: ModelIdSchema,
    choices: Type.Array(
      Type.Object({
        index: ChoiceIndexSchema,
        delta: Type.Object(
          {
            role: Type.Optional(Type.Literal('assistant', { description: '`assistant`, in the first chunk only' })),
            content: Type.Optional(
              Type.String({
                description: 'The next piece of the reply (empty in the first chunk, left out in the last)',
                examples: ['Paris']
              })
            )
          },
          { description: 'What this chunk adds to the reply' }
        ),
        logprobs: LogprobsSchema,
        finish_reason: Type.Union([FinishReasonSchema, Type.Null()], {
          description: `Null until the choice’s last chunk, which says why the model stopped: ${FINISH_REASONS}`,
          examples: [null]
        })
      }),
      { description: 'The choice this chunk continues; empty in the usage chunk' }
    ),
    usage: Type.Optional(
      Type.Union([UsageSchema, Type.Null()], {
        description:
          'With `stream_options.include_usage` only: null in every chunk but the last, which has the call’s usage ' +
          'and charge',
        examples: [null]
      })
    )
  },
  { description: 'One `data:` event of a streamed answer' }
)

/** One event of the example stream. */
function chunkEvent(delta: CompletionChunk['choices'][number]['delta'], finishReason: 'stop' | null): string {
  const chunk: CompletionChunk = {
    id: 'chatcmpl-42',
    object: 'chat.completion.chunk',
    created: EXAMPLE_UNIX_SECONDS,
    model: 'offline',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }]
  }
  return `data: ${JSON.stringify(chunk)}\n\n`
}

export const ChunkStreamSchema = Type.String({
  description:
    'Server-Sent Events: `data:` lines of `chat.completion.chunk` objects (the last one, with `stream_options.' +
    'include_usage`, has empty `choices` and the `usage`), then `data: [DONE]`; or, when the call fails after it ' +
    'began, one `data:` line with an `error` object and no `[DONE]`',
  examples: [
    chunkEvent({ role: 'assistant', content: '' }, null) +
      chunkEvent({ content: ANSWER }, null) +
      chunkEvent({}, 'stop') +
      'data: [DONE]\n\n'
  ]
})

export const ModelListSchema = Type.Object(
  {
    object: Type.Literal('list', { description: 'Always `list`' }),
    data: Type.Array(
      Type.Object({
        id: Type.String({
          description: 'The model’s id, as `model` in `POST /v1/chat/completions` takes it',
          examples: ['offline']
        }),
        object: Type.Literal('model', { description: 'Always `model`' }),
        created: Type.Integer({
          description: 'Unix seconds: when this instance loaded its model list',
          examples: [EXAMPLE_UNIX_SECONDS]
        }),
        owned_by: Type.String({
          description: 'Always `ai-chat-api`: this server offers the model, whoever runs it',
          examples: ['ai-chat-api']
        })
      }),
      { description: 'Every model offered, or for an API key with a model list, those it names' }
    )
  },
  { description: 'The models the key (or access token) may use; prices are at `GET /api/models/`' }
)

export type CompletionRequest = Static<typeof CompletionRequestSchema>
export type Completion = Static<typeof CompletionSchema>
export type CompletionChunk = Static<typeof CompletionChunkSchema>
export type CompletionUsage = Static<typeof UsageSchema>
export type ModelList = Static<typeof ModelListSchema>
