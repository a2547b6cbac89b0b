import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { RefreshRequestSchema } from '../auth/schemas.js'
import { BearerSecurity } from '../common/schemas.js'
import { problemResponses } from '../../problems/schema.js'
import { EmptySchema, PasswordChangedSchema, PasswordChangeSchema, TokenVerifyRequestSchema } from './schemas.js'
import {
  changePassword,
  logOutEverywhere,
  revokeRefreshToken,
  verifyAnyToken,
  type SessionDependencies
} from './service.js'

const tags = ['auth']
const bodyProblems = [400, 413, 415] as const

const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps: SessionDependencies = { store: app.store, tokens: app.tokenCodec, passwords: app.passwords }

  app.post(
    '/api/token/verify/',
    {
      schema: {
        operationId: 'verifyToken',
        summary: 'Check whether a token would be accepted now',
        description:
          'An access or refresh token: well signed, unexpired, its login not ended, and (refresh) not spent.',
        tags,
        body: TokenVerifyRequestSchema,
        response: { 200: EmptySchema, ...problemResponses(...bodyProblems, 401, 503) }
      }
    },
    async (request) => {
      await verifyAnyToken(deps, request.body.token)
      return {}
    }
  )

  app.post(
    '/api/token/blacklist/',
    {
      schema: {
        operationId: 'blacklistRefreshToken',
        summary: 'End the login a refresh token belongs to',
        description: 'Every refresh and access token of that login stops working at once (SimpleJWT-compatible).',
        tags,
        body: RefreshRequestSchema,
        response: { 200: EmptySchema, ...problemResponses(...bodyProblems, 401, 503) }
      }
    },
    async (request) => {
      await revokeRefreshToken(deps, request.body.refresh)
      return {}
    }
  )

  app.post(
    '/api/logout/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'logout',
        summary: 'Log out: end the login of the given refresh token',
        description: 'The refresh token must be yours; its login ends, access tokens included.',
        tags,
        security: BearerSecurity,
        body: RefreshRequestSchema,
        response: { 200: EmptySchema, ...problemResponses(...bodyProblems, 401, 503) }
      }
    },
    async (request) => {
      await revokeRefreshToken(deps, request.body.refresh, request.user.id)
      return {}
    }
  )

  app.post(
    '/api/logout_all/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'logoutAll',
        summary: 'Log out everywhere',
        description: 'Ends every login of yours at once: all refresh and access tokens stop working immediately.',
        tags,
        security: BearerSecurity,
        response: { 200: EmptySchema, ...problemResponses(401, 503) }
      }
    },
    async (request) => {
      await logOutEverywhere(app.store, request.user.id)
      return {}
    }
  )

  app.post(
    '/api/password/',
    {
      onRequest: [app.authenticate],
      config: { rateLimitPolicy: 'wrong-passwords' },
      schema: {
        operationId: 'changePassword',
        summary: 'Change your password',
        description:
          'Needs the current password. Every other login of yours ends; this one stays, and logins still in progress ' +
          'with the old password fail. Wrong old passwords count like failed logins, per account: past the limit ' +
          'the change is refused with 429 `rate_limited` and `Retry-After`. When too many passwords are being ' +
          'checked at once, or your account already has a few checks in progress, the answer is 503 `server_busy` ' +
          'with `Retry-After`, and nothing changed.',
        tags,
        security: BearerSecurity,
        body: PasswordChangeSchema,
        response: { 200: PasswordChangedSchema, ...problemResponses(...bodyProblems, 401, 429, 503) }
      }
    },
    async (request) => {
      const { old_password, new_password } = request.body
      const ended = await changePassword(deps, request.user, old_password, new_password)
      return { message: 'Password changed', ended_sessions: ended }
    }
  )
}

export default sessionRoutes
