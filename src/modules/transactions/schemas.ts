import { Type, type Static } from '@sinclair/typebox'
import { LEDGER_REASONS } from '../../db/storage-rules.js'
import { UsageSchema, UsageSourceSchema } from '../chat/schemas.js'
import { pageQuerySchema, pageSchema } from '../common/schemas.js'

const ReasonSchema = Type.Union(
  LEDGER_REASONS.map((reason) => Type.Literal(reason)),
  {
    description:
      '`signup`: the starting balance; `chat`: a message’s worst-case cost was held; `settle`: what the reply did not ' +
      'use of the hold came back; `refund`: a message that got no reply was paid back in full; `grant` and `debit`: ' +
      'an administrator added or took away tokens',
    examples: ['chat']
  }
)

export const TransactionSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, description: 'Identifies the ledger entry', examples: [57] }),
    delta: Type.Integer({ description: 'Change of the balance: positive adds, negative takes away', examples: [-100] }),
    reason: ReasonSchema,
    chat_id: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: 'The chat charged or refunded (null for other reasons; the chat may since have been deleted)',
      examples: [42]
    }),
    balance_after: Type.Integer({ minimum: 0, description: 'Your balance right after this change', examples: [3900] }),
    note: Type.Union([Type.String(), Type.Null()], {
      description: 'Why an administrator made a grant or debit (null otherwise)',
      examples: [null]
    }),
    timestamp: Type.String({
      format: 'date-time',
      description: 'When the balance changed (UTC)',
      examples: ['2026-11-23T10:15:30.000Z']
    }),
    chat: Type.Union(
      [
        Type.Object({
          model: Type.Union([Type.String(), Type.Null()], { description: 'The model picked', examples: ['offline'] }),
          api_key_id: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
            description:
              'The API key whose `/v1` call made the charge (null for a chat message, or a call made with an access ' +
              'token)',
            examples: [null]
          }),
          cost: Type.Integer({ minimum: 0, description: 'What the chat cost in the end', examples: [100] }),
          usage: UsageSchema,
          usage_source: UsageSourceSchema
        }),
        Type.Null()
      ],
      {
        description:
          'For a `chat` or `settle` row: the chat as it settled, so that its final cost and usage are here beside the ' +
          'hold and the credit that make it up (null for other rows, and for a chat pending, refunded or deleted)',
        examples: [null]
      }
    )
  },
  { description: 'One change of your token balance' }
)

export const TransactionPageQuerySchema = pageQuerySchema('^[1-9][0-9]{0,15}$', '57')

export const TransactionPageSchema = pageSchema(TransactionSchema, '57', 'balance changes', 'newest first')

export type Transaction = Static<typeof TransactionSchema>
export type TransactionPageQuery = Static<typeof TransactionPageQuerySchema>
