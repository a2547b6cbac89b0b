import { Type, type Static } from '@sinclair/typebox'
import { ChatPageSchema, ConversationIdSchema } from '../chat/schemas.js'
import { pageQuerySchema, pageSchema, VISIBLE_TEXT_PATTERN } from '../common/schemas.js'

const TIMESTAMP_EXAMPLE = '2026-11-23T10:15:30.000Z'

export const ConversationTitleSchema = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: VISIBLE_TEXT_PATTERN,
  description: '1 to 200 characters, not only whitespace, no NUL',
  examples: ['Trip to Paris']
})

const conversationFields = {
  id: ConversationIdSchema,
  title: Type.String({ description: 'Taken from the first message until renamed', examples: ['Trip to Paris'] }),
  message_count: Type.Integer({ minimum: 0, description: 'Chats you can read in it', examples: [3] }),
  created_at: Type.String({ format: 'date-time', description: 'When it started (UTC)', examples: [TIMESTAMP_EXAMPLE] }),
  updated_at: Type.String({
    format: 'date-time',
    description: 'Time of the latest message (UTC)',
    examples: [TIMESTAMP_EXAMPLE]
  })
}

export const ConversationSchema = Type.Object(conversationFields, { description: 'A conversation' })

export const ConversationWithMessagesSchema = Type.Object(
  { ...conversationFields, messages: ChatPageSchema },
  { description: 'A conversation with a page of its chats, newest first' }
)

export const ConversationPageQuerySchema = pageQuerySchema('^[0-9]{1,16}_[1-9][0-9]{0,15}$', '1795472049103_7')

export const ConversationPageSchema = pageSchema(
  ConversationSchema,
  '1795472049103_7',
  'conversations',
  'most recent activity first'
)

export const ConversationParamsSchema = Type.Object({ id: ConversationIdSchema })

export const ConversationRenameSchema = Type.Object({ title: ConversationTitleSchema }, { additionalProperties: false })

export type Conversation = Static<typeof ConversationSchema>
export type ConversationPageQuery = Static<typeof ConversationPageQuerySchema>
