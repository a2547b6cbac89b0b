import type { FastifyReply, FastifyRequest } from 'fastify'
import { problemFromError, type ProblemError } from '../../problems/render.js'
import type { Problem } from '../../problems/schema.js'
import type { OpenAiError } from './schemas.js'

/** An error as `/v1` answers it: OpenAI's status, body and headers for what the rest of the API says as a problem. */
export interface OpenAiErrorReply {
  status: number
  body: OpenAiError
  headers: Record<string, string>
}

/**
 * A refused payment is 429 `insufficient_quota`, as OpenAI answers an exhausted quota, not 402: OpenAI's SDKs and the
 * frameworks on them (LangChain, the Vercel AI SDK, LiteLLM) know that code and stop, while a 402 is an error none of
 * them expects. `x-should-retry: false` keeps the SDKs, which retry every 429 by default, from trying again.
 */
const NO_RETRY = { 'x-should-retry': 'false' }

/** What each problem code becomes; codes not listed keep their status and code, typed by their status. */
const MAPPED: Record<string, { status?: number; type: string; code: string; param?: string; headers?: object }> = {
  insufficient_tokens: { status: 429, type: 'insufficient_quota', code: 'insufficient_quota', headers: NO_RETRY },
  spend_limit_reached: { status: 429, type: 'insufficient_quota', code: 'spend_limit_reached', headers: NO_RETRY },
  rate_limited: { type: 'requests', code: 'rate_limit_exceeded' },
  too_many_chats_in_flight: { type: 'requests', code: 'rate_limit_exceeded' },
  model_not_allowed: { type: 'invalid_request_error', code: 'model_not_found', param: 'model' }
}

/** The error for any thrown error or problem; a 5xx says nothing about its cause unless the API raised it on purpose. */
export function openAiErrorFrom(error: ProblemError): OpenAiErrorReply {
  const mapped = fromProblem(problemFromError(error), error.validation?.[0]?.keyword)
  return { ...mapped, headers: { ...error.headers, ...mapped.headers } }
}

/** The error for a problem, e.g. one an Idempotency-Key remembered; its headers are those the mapping adds. */
export function fromProblem(problem: Problem, validationKeyword?: string): OpenAiErrorReply {
  const {
    status,
    code,
    detail,
    type: _type,
    title: _title,
    instance: _instance,
    errors,
    ...members
  } = problem as Problem & {
    instance?: string
    errors?: { pointer: string }[]
  }
  const mapped = MAPPED[code]
  const body = {
    error: {
      message: detail,
      type: mapped?.type ?? typeOf(status),
      code: status === 401 ? 'invalid_api_key' : (mapped?.code ?? validationCode(code, validationKeyword)),
      param: mapped?.param ?? paramOf(errors?.[0]?.pointer),
      ...members
    }
  }
  return { status: mapped?.status ?? status, body, headers: { ...(mapped?.headers as Record<string, string>) } }
}

export function sendOpenAiError(request: FastifyRequest, reply: FastifyReply, error: OpenAiErrorReply) {
  if (error.status >= 500) request.log.warn({ error: error.body.error }, 'the /v1 call failed')
  if (error.status === 401) reply.header('www-authenticate', 'Bearer')
  return reply.code(error.status).headers(error.headers).type('application/json; charset=utf-8').send(error.body)
}

/** Sends a problem the rest of the app made (a 405, say) as OpenAI's error. */
export function sendProblemAsOpenAiError(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  return sendOpenAiError(request, reply, fromProblem(problem))
}

function typeOf(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 429) return 'requests'
  return status >= 500 ? 'server_error' : 'invalid_request_error'
}

/** OpenAI's codes for a request body that does not fit the schema. */
function validationCode(code: string, keyword: string | undefined): string {
  if (code !== 'validation_failed') return code
  if (keyword === 'additionalProperties') return 'unsupported_parameter'
  if (keyword === 'required') return 'missing_required_parameter'
  return 'invalid_value'
}

/** A JSON pointer as OpenAI names a parameter: `#/messages/0/role` is `messages[0].role`. */
function paramOf(pointer: string | undefined): string | null {
  if (!pointer || pointer === '#') return null
  return pointer
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((param, part) => (/^\d+$/.test(part) ? `${param}[${part}]` : param ? `${param}.${part}` : part), '')
}
