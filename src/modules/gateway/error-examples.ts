import { errorCodes } from 'fastify'
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidApiKeyError,
  insufficientTokens,
  storageUnavailable,
  upstreamFailure
} from '../../problems/errors.js'
import type { ProblemError } from '../../problems/render.js'
import { openAiErrorFrom } from './openai-errors.js'
import type { OpenAiError } from './schemas.js'

/** What Fastify's validator reports for `"tools": []`, which the request schema does not list. */
const UNLISTED_PARAMETER: ProblemError = {
  statusCode: 400,
  validationContext: 'body',
  validation: [
    {
      keyword: 'additionalProperties',
      instancePath: '',
      schemaPath: '#/additionalProperties',
      params: { additionalProperty: 'tools' },
      message: 'must NOT have additional properties'
    }
  ]
}

/**
 * A typical error for each status `/v1` answers, made by the errors the server throws and the mapping it answers them
 * with (`openAiErrorFrom`), so the docs show the very message, type, code and param a client gets.
 */
const EXAMPLES = {
  400: UNLISTED_PARAMETER,
  401: new InvalidApiKeyError(),
  409: new IdempotencyKeyInUseError(),
  413: new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(),
  415: new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(),
  422: new IdempotencyKeyReusedError(),
  // A refused payment is a problem's 402, answered on `/v1` as 429 `insufficient_quota`.
  429: insufficientTokens(40, 100),
  502: upstreamFailure('error', true),
  503: storageUnavailable(undefined),
  504: upstreamFailure('timeout', true)
} satisfies Record<number, ProblemError>

export type OpenAiErrorStatus = keyof typeof EXAMPLES

export function openAiErrorExample(status: OpenAiErrorStatus): OpenAiError {
  const answer = openAiErrorFrom(EXAMPLES[status])
  if (answer.status !== status) throw new Error(`the example for ${status} is answered with ${answer.status}`)
  return answer.body
}
