import { Type } from '@sinclair/typebox'
import { PasswordSchema } from '../auth/schemas.js'

export const TokenVerifyRequestSchema = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 4096, description: 'An access or a refresh token' }) },
  { additionalProperties: false }
)

export const EmptySchema = Type.Object({}, { description: 'Done', additionalProperties: false })

export const PasswordChangeSchema = Type.Object(
  {
    old_password: Type.String({ minLength: 1, maxLength: 1024, examples: ['correct horse battery staple'] }),
    new_password: PasswordSchema
  },
  { additionalProperties: false }
)

export const PasswordChangedSchema = Type.Object(
  {
    message: Type.String({ examples: ['Password changed'] }),
    ended_sessions: Type.Integer({ minimum: 0, description: 'Other logins that were ended', examples: [2] })
  },
  { description: 'The password was changed and your other logins ended' }
)
