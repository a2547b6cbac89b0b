import { Type, type Static } from '@sinclair/typebox'

/**
 * The letters, marks and digits of PRECIS IdentifierClass (RFC 8264) and Django's @ . + - _; the rest of RFC 8265 and
 * UTS #39 (invisible characters, mixed scripts, look-alikes) is checked on registration.
 */
export const UsernameSchema = Type.String({
  // Two, not three: a family name and a given name of one Han character each (山田) is a whole name.
  minLength: 2,
  maxLength: 150,
  pattern: '^[\\p{Ll}\\p{Lu}\\p{Lo}\\p{Lm}\\p{Mn}\\p{Mc}\\p{Nd}@.+\\-_]+$',
  description:
    '2 to 150 letters, combining marks, digits or @ . + - _ of one script (or Latin with one other); no invisible ' +
    'characters; unique regardless of case and of look-alike characters',
  examples: ['alice', 'José', '山田']
})

export const PasswordSchema = Type.String({
  minLength: 8,
  maxLength: 1024,
  description: '8 to 1024 characters',
  examples: ['correct horse battery staple']
})

export const CredentialsSchema = Type.Object(
  { username: UsernameSchema, password: PasswordSchema },
  { additionalProperties: false, description: 'The username and password of the new account' }
)

export const LoginCredentialsSchema = Type.Object(
  {
    username: Type.String({
      minLength: 1,
      maxLength: 150,
      description: 'Your username, in any letter case',
      examples: ['alice']
    }),
    password: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Your password',
      examples: ['correct horse battery staple']
    })
  },
  { additionalProperties: false, description: 'Your username and password' }
)

export const RegisteredSchema = Type.Object(
  {
    message: Type.String({ description: 'Says that it worked', examples: ['User registered successfully'] }),
    username: Type.String({ description: 'The username as stored (NFKC form)', examples: ['alice'] }),
    tokens: Type.Integer({ description: 'Starting token balance', examples: [4000] })
  },
  { description: 'The account was created' }
)

/** Shapes of real tokens, signed with a made-up secret; they are valid nowhere. */
const EXAMPLE_ACCESS_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwidG9rZW5fdHlwZSI6ImFjY2VzcyJ9.4pSo2hBmMbdzVvwFCx1vAL0Rb2CEuUwKzPfLpqrnhIw'
const EXAMPLE_REFRESH_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwidG9rZW5fdHlwZSI6InJlZnJlc2gifQ.yZ3q1T3f0mYQxJ8m2m8VtCz9x1pG3t7ykTqgqC2Y7wE'

const AccessTokenSchema = Type.String({
  description: 'Access token (JWT, HS256); send as `Authorization: Bearer …`',
  examples: [EXAMPLE_ACCESS_TOKEN]
})
const RefreshTokenSchema = Type.String({
  description: 'Refresh token (JWT, HS256); single use, rotated on refresh',
  examples: [EXAMPLE_REFRESH_TOKEN]
})

export const TokenPairSchema = Type.Object(
  { access: AccessTokenSchema, refresh: RefreshTokenSchema },
  { description: 'A new access and refresh token' }
)

export const LoggedInSchema = Type.Object(
  {
    message: Type.String({ description: 'Says that it worked', examples: ['Login successful'] }),
    access: AccessTokenSchema,
    refresh: RefreshTokenSchema
  },
  { description: 'Logged in' }
)

export const RefreshRequestSchema = Type.Object(
  {
    refresh: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'The refresh token to spend',
      examples: [EXAMPLE_REFRESH_TOKEN]
    })
  },
  { additionalProperties: false, description: 'The refresh token from your last login or refresh' }
)

export type Credentials = Static<typeof CredentialsSchema>
export type LoginCredentials = Static<typeof LoginCredentialsSchema>
