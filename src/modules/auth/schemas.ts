import { Type, type Static } from '@sinclair/typebox'

export const UsernameSchema = Type.String({
  minLength: 3,
  maxLength: 150,
  pattern: '^[\\p{L}\\p{N}@.+\\-_]+$',
  description: '3 to 150 letters, digits or @ . + - _; unique regardless of case',
  examples: ['alice']
})

export const PasswordSchema = Type.String({
  minLength: 8,
  maxLength: 1024,
  description: '8 to 1024 characters',
  examples: ['correct horse battery staple']
})

export const CredentialsSchema = Type.Object(
  { username: UsernameSchema, password: PasswordSchema },
  { additionalProperties: false }
)

export const LoginCredentialsSchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 150, examples: ['alice'] }),
    password: Type.String({ minLength: 1, maxLength: 1024, examples: ['correct horse battery staple'] })
  },
  { additionalProperties: false }
)

export const RegisteredSchema = Type.Object(
  {
    message: Type.String({ examples: ['User registered successfully'] }),
    username: Type.String({ examples: ['alice'] }),
    tokens: Type.Integer({ description: 'Starting token balance', examples: [4000] })
  },
  { description: 'The account was created' }
)

const AccessTokenSchema = Type.String({ description: 'Access token (JWT, HS256); send as `Authorization: Bearer …`' })
const RefreshTokenSchema = Type.String({ description: 'Refresh token (JWT, HS256); single use, rotated on refresh' })

export const TokenPairSchema = Type.Object(
  { access: AccessTokenSchema, refresh: RefreshTokenSchema },
  { description: 'A new access and refresh token' }
)

export const LoggedInSchema = Type.Object(
  {
    message: Type.String({ examples: ['Login successful'] }),
    access: AccessTokenSchema,
    refresh: RefreshTokenSchema
  },
  { description: 'Logged in' }
)

export const RefreshRequestSchema = Type.Object(
  { refresh: Type.String({ minLength: 1, maxLength: 4096, description: 'The refresh token to spend' }) },
  { additionalProperties: false }
)

export type Credentials = Static<typeof CredentialsSchema>
export type LoginCredentials = Static<typeof LoginCredentialsSchema>
