import { Type } from '@sinclair/typebox'

export const TokenBalanceSchema = Type.Object(
  {
    username: Type.String({ description: 'Your username', examples: ['alice'] }),
    tokens: Type.Integer({ minimum: 0, description: 'Remaining token balance', examples: [3900] })
  },
  { description: 'Your balance' }
)
