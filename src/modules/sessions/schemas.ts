import { Type } from '@sinclair/typebox'
import { PasswordSchema } from '../auth/schemas.js'

export const TokenVerifyRequestSchema = Type.Object(
  {
    token: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'An access or a refresh token',
      examples: ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl']
    })
  },
  { additionalProperties: false }
)

export const EmptySchema = Type.Object({}, { description: 'Done', additionalProperties: false })

export const PasswordChangeSchema = Type.Object(
  {
    old_password: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Your current password',
      examples: ['correct horse battery staple']
    }),
    new_password: PasswordSchema
  },
  { additionalProperties: false }
)

export const PasswordChangedSchema = Type.Object(
  {
    message: Type.String({ description: 'What happened', examples: ['Password changed'] }),
    ended_sessions: Type.Integer({ minimum: 0, description: 'Other logins that were ended', examples: [2] })
  },
  { description: 'The password was changed and your other logins ended' }
)
