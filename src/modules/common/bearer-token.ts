import { NotAuthenticatedError, TokenNotValidError } from '../../problems/errors.js'

/** The token of an `Authorization: Bearer <token>` header; a missing header is 401 too, and so is any other shape. */
export function bearerTokenOf(authorization: string | undefined): string {
  if (!authorization) throw new NotAuthenticatedError()
  const [scheme, token, ...rest] = authorization.split(' ')
  if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length > 0) throw new TokenNotValidError()
  return token
}
