import { Type, type Static } from '@sinclair/typebox'
import { MAX_ROW_ID } from '../../db/storage-rules.js'
import { pageQuerySchema, pageSchema, VISIBLE_TEXT_PATTERN } from '../common/schemas.js'

const ID_RANGE = { minimum: 1, maximum: MAX_ROW_ID }
const ChatIdSchema = Type.Integer({ ...ID_RANGE, description: 'Identifies the chat', examples: [42] })
const TimestampSchema = Type.String({
  format: 'date-time',
  description: 'When the message was sent (UTC)',
  examples: ['2026-11-23T10:15:30.000Z']
})

export const ConversationIdSchema = Type.Integer({
  ...ID_RANGE,
  description: 'Identifies the conversation',
  examples: [7]
})

export const ChatRequestSchema = Type.Object(
  {
    message: Type.String({
      minLength: 1,
      maxLength: 8000,
      pattern: VISIBLE_TEXT_PATTERN,
      description: '1 to 8000 characters, not only whitespace, no NUL (U+0000)',
      examples: ['What is the capital of France?']
    }),
    conversation_id: Type.Optional(
      Type.Integer({
        ...ID_RANGE,
        description: 'Continue this conversation (the model sees its earlier messages); omit to start a new one',
        examples: [7]
      })
    ),
    model: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'One of the models `GET /api/models/` lists; omit for the default model',
        examples: ['offline']
      })
    )
  },
  {
    additionalProperties: false,
    description: 'Your message to the AI',
    // A first message, which works for any user as it stands: composed from the fields' examples, it would continue
    // conversation 7, a 404 for anyone who has none.
    examples: [{ message: 'What is the capital of France?' }]
  }
)

export const UsageSchema = Type.Union(
  [
    Type.Object({
      prompt_tokens: Type.Integer({
        minimum: 0,
        description: 'Model tokens read: the prompt, cached ones included',
        examples: [57]
      }),
      cached_tokens: Type.Integer({
        minimum: 0,
        description: 'Of the prompt tokens, those the provider served from its cache (priced `cached_input`)',
        examples: [0]
      }),
      completion_tokens: Type.Integer({ minimum: 0, description: 'Model tokens written: the reply', examples: [12] })
    }),
    Type.Null()
  ],
  {
    description: 'The tokens this reply was charged for (null when none were counted: see `usage_source`)',
    examples: [{ prompt_tokens: 57, cached_tokens: 0, completion_tokens: 12 }]
  }
)

export const UsageSourceSchema = Type.Union(
  [Type.Literal('provider'), Type.Literal('estimated'), Type.Literal('none'), Type.Null()],
  {
    description:
      'Where `usage` came from: `provider` (its report), `estimated` (counted here with a tokenizer: the provider ' +
      'reported none, or the reply broke off), `none` (the model has no per-token price, so nothing was counted); ' +
      'null for chats from before metering',
    examples: ['provider']
  }
)

const chatFields = {
  id: ChatIdSchema,
  conversation_id: Type.Union([ConversationIdSchema, Type.Null()], {
    description: 'The conversation this chat belongs to (null for chats from before conversations existed)',
    examples: [7]
  }),
  message: Type.String({ description: 'Your message', examples: ['What is the capital of France?'] }),
  response: Type.String({ description: 'The AI’s reply', examples: ['The capital of France is Paris.'] }),
  status: Type.Union([Type.Literal('completed'), Type.Literal('incomplete')], {
    description: '`incomplete` when the reply broke off after some text (charged: the text was delivered)',
    examples: ['completed']
  }),
  timestamp: TimestampSchema,
  cost: Type.Integer({
    minimum: 0,
    description: 'Tokens this message cost: the model’s request price plus its tokens at the model’s prices',
    examples: [100]
  }),
  model: Type.Union([Type.String(), Type.Null()], {
    description: 'The model you picked (an id from `GET /api/models/`)',
    examples: ['offline']
  }),
  upstream_model: Type.Union([Type.String(), Type.Null()], {
    description: 'The model name the provider reported for its reply',
    examples: ['offline']
  }),
  usage: UsageSchema,
  usage_source: UsageSourceSchema
}

export const ChatReplySchema = Type.Object(
  {
    ...chatFields,
    remaining_tokens: Type.Integer({
      minimum: 0,
      description:
        'Your balance once this message was charged: right after the credit of what its hold did not use, or, when ' +
        'the whole hold was charged, right after the hold',
      examples: [3900]
    })
  },
  { description: 'The AI replied; the message was charged' }
)

export const ChatItemSchema = Type.Object(chatFields, { description: 'One chat: your message and the reply' })

export const ChatPageQuerySchema = pageQuerySchema('^[1-9][0-9]{0,15}$', '42')

export const ChatPageSchema = pageSchema(ChatItemSchema, '17', 'chats', 'newest first')

export const ChatParamsSchema = Type.Object({ id: ChatIdSchema }, { description: 'Which chat' })

export type ChatPageQuery = Static<typeof ChatPageQuerySchema>
export type ChatItem = Static<typeof ChatItemSchema>
export type ChatReply = Static<typeof ChatReplySchema>
export type ChatRequest = Static<typeof ChatRequestSchema>
