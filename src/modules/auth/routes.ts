import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Config } from '../../config.js'
import { problemResponses } from '../../problems/schema.js'
import {
  CredentialsSchema,
  LoggedInSchema,
  LoginCredentialsSchema,
  RefreshRequestSchema,
  RegisteredSchema,
  TokenPairSchema
} from './schemas.js'
import { logIn, refreshTokens, registerUser, type AuthDependencies } from './service.js'
import { normalizeUsernameInBody } from './usernames.js'

const tags = ['auth']
const bodyProblems = [400, 413, 415] as const

const authRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const deps: AuthDependencies = {
    store: app.store,
    config,
    passwords: app.passwords,
    tokens: app.tokenCodec
  }

  app.post(
    '/api/register/',
    {
      config: { rateLimitPolicy: 'registrations' },
      preValidation: normalizeUsernameInBody,
      schema: {
        operationId: 'register',
        summary: 'Create an account',
        description:
          'Creates a user with the starting token balance. Usernames are unique regardless of case and of look-alike ' +
          'characters (UTS #39 skeletons); a name that mixes scripts or holds invisible characters gets 400 ' +
          '`username_not_allowed`. Registrations are rate limited per client address (429 `rate_limited` with ' +
          '`Retry-After`). When too many passwords are being hashed at once the answer is 503 `server_busy` with ' +
          '`Retry-After`, and no account was created.',
        tags,
        body: CredentialsSchema,
        response: { 201: RegisteredSchema, ...problemResponses(...bodyProblems, 409, 429, 503) }
      }
    },
    async (request, reply) => {
      const user = await registerUser(deps, request.body)
      return reply.code(201).send({ message: 'User registered successfully', ...user })
    }
  )

  app.post(
    '/api/login/',
    {
      config: { rateLimitPolicy: 'failed-logins' },
      schema: {
        operationId: 'login',
        summary: 'Log in and receive an access and a refresh token',
        description:
          'A wrong password and an unknown username get the same 401 answer. After too many failed attempts for a ' +
          'username from one address, or from one address in all, that address is refused with 429 `rate_limited` ' +
          'and `Retry-After` until the window passes; correct passwords never count. A login that was still being ' +
          'checked when the password changed or the account was deactivated fails with 401. When too many ' +
          'passwords are being checked at once, or this username already has a few checks in progress, the answer ' +
          'is 503 `server_busy` with `Retry-After`. A login ends `SESSION_MAX_AGE` after it started, however often ' +
          'its refresh token rotates.',
        tags,
        body: LoginCredentialsSchema,
        response: { 200: LoggedInSchema, ...problemResponses(...bodyProblems, 401, 429, 503) }
      }
    },
    async (request) => ({ message: 'Login successful', ...(await logIn(deps, request.body)) })
  )

  app.post(
    '/api/token/',
    {
      config: { rateLimitPolicy: 'failed-logins' },
      schema: {
        operationId: 'obtainTokenPair',
        summary: 'Obtain an access and a refresh token (SimpleJWT-compatible alias of login)',
        description: 'Same as `POST /api/login/` without the message.',
        tags,
        body: LoginCredentialsSchema,
        response: { 200: TokenPairSchema, ...problemResponses(...bodyProblems, 401, 429, 503) }
      }
    },
    async (request) => logIn(deps, request.body)
  )

  app.post(
    '/api/token/refresh/',
    {
      schema: {
        operationId: 'refreshTokenPair',
        summary: 'Spend a refresh token for a new access and refresh token',
        description:
          'Refresh tokens rotate: each can be spent once. Presenting a spent one again is treated as theft and ends ' +
          'that login. Rotation never extends a login past `SESSION_MAX_AGE` from its start: the new tokens expire ' +
          'by then at the latest, and afterwards refreshing is 401.',
        tags,
        body: RefreshRequestSchema,
        response: { 200: TokenPairSchema, ...problemResponses(...bodyProblems, 401, 503) }
      }
    },
    async (request) => refreshTokens(deps, request.body.refresh)
  )
}

export default authRoutes
