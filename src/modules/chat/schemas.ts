import { Type, type Static } from '@sinclair/typebox'

export const DEFAULT_PAGE_SIZE = 20

const ChatIdSchema = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Identifies the chat',
  examples: [42]
})
const TimestampSchema = Type.String({
  format: 'date-time',
  description: 'When the message was sent (UTC)',
  examples: ['2026-11-23T10:15:30.000Z']
})

export const ChatRequestSchema = Type.Object(
  {
    message: Type.String({
      minLength: 1,
      maxLength: 8000,
      pattern: '\\S',
      description: '1 to 8000 characters, not only whitespace',
      examples: ['What is the capital of France?']
    })
  },
  { additionalProperties: false, description: 'Your message to the AI' }
)

const chatFields = {
  id: ChatIdSchema,
  message: Type.String({ description: 'Your message', examples: ['What is the capital of France?'] }),
  response: Type.String({ description: 'The AI’s reply', examples: ['The capital of France is Paris.'] }),
  timestamp: TimestampSchema
}

export const ChatReplySchema = Type.Object(
  {
    ...chatFields,
    remaining_tokens: Type.Integer({
      minimum: 0,
      description: 'Balance after this message was charged',
      examples: [3900]
    })
  },
  { description: 'The AI replied; the message was charged' }
)

export const ChatItemSchema = Type.Object(
  { ...chatFields, cost: Type.Integer({ minimum: 1, description: 'Tokens this message cost', examples: [100] }) },
  { description: 'One chat: your message and the reply' }
)

export const ChatPageQuerySchema = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,15}$',
        description: 'Opaque cursor from the previous page’s `next_cursor`',
        examples: ['42']
      })
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE, description: 'Page size', examples: [20] })
    )
  },
  { additionalProperties: false }
)

export const ChatPageSchema = Type.Object(
  {
    items: Type.Array(ChatItemSchema, { description: 'Your chats, newest first' }),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next page; null on the last page',
      examples: ['17']
    })
  },
  { description: 'A page of your chat history' }
)

export const ChatParamsSchema = Type.Object({ id: ChatIdSchema })

export type ChatPageQuery = Static<typeof ChatPageQuerySchema>
export type ChatItem = Static<typeof ChatItemSchema>
