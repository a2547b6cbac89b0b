import { Type, type Static } from '@sinclair/typebox'
import { pageQuerySchema, pageSchema } from '../common/schemas.js'

const ReasonSchema = Type.Union(
  [Type.Literal('signup'), Type.Literal('chat'), Type.Literal('refund'), Type.Literal('grant'), Type.Literal('debit')],
  {
    description:
      '`signup`: the starting balance; `chat`: a message was charged; `refund`: a message that got no reply was paid ' +
      'back; `grant` and `debit`: an administrator added or took away tokens',
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
    })
  },
  { description: 'One change of your token balance' }
)

export const TransactionPageQuerySchema = pageQuerySchema('^[1-9][0-9]{0,15}$', '57')

export const TransactionPageSchema = pageSchema(TransactionSchema, '57', 'balance changes', 'newest first')

export type Transaction = Static<typeof TransactionSchema>
export type TransactionPageQuery = Static<typeof TransactionPageQuerySchema>
