import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { isApiError } from './errors.js'
import { problemType } from './examples.js'
import type { Problem } from './schema.js'

export type ProblemError = Partial<FastifyError> & {
  extensions?: Record<string, unknown>
  headers?: Record<string, string>
}
type ValidationIssue = NonNullable<FastifyError['validation']>[number] & {
  parentSchema?: { description?: string }
  schema?: unknown
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_body',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large'
}

const PROBLEM_JSON = 'application/problem+json'

export function sendProblem(request: FastifyRequest, reply: FastifyReply, body: Problem) {
  return reply
    .code(body.status)
    .type(PROBLEM_JSON)
    .send({ ...body, instance: request.url })
}

export function problem(status: number, code: string, detail: string, extensions: object = {}): Problem {
  return { type: problemType(code), title: STATUS_CODES[status] ?? 'Error', status, detail, code, ...extensions }
}

/** Turns any error into a problem body; a 5xx says nothing about its cause unless the API raised it on purpose. */
export function problemFromError(error: ProblemError): Problem {
  if (error.validation)
    return validationProblem(error.validation as ValidationIssue[], error.validationContext ?? 'body')
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (status >= 500 && !isApiError(error)) {
    return problem(status, 'internal_error', 'An unexpected error occurred; it has been logged')
  }
  return problem(status, codeOf(error, status), error.message ?? STATUS_CODES[status] ?? 'Error', error.extensions)
}

function codeOf(error: ProblemError, status: number): string {
  if (error.code && !error.code.startsWith('FST_')) return error.code.toLowerCase()
  if (error.code && FASTIFY_CODES[error.code]) return FASTIFY_CODES[error.code]!
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z]+/g, '_')
}

function validationProblem(issues: ValidationIssue[], location: string): Problem {
  const errors = issues.map((issue) => ({ pointer: pointerOf(issue), location, message: messageOf(issue) }))
  const summary = errors.map((error) => `${error.pointer} ${error.message}`).join('; ')
  return problem(400, 'validation_failed', `The request ${location} is invalid: ${summary}`, { errors })
}

function pointerOf(issue: ValidationIssue): string {
  const params = issue.params as { missingProperty?: string; additionalProperty?: string }
  const property = params.missingProperty ?? params.additionalProperty
  const suffix = property === undefined ? '' : `/${property.replaceAll('~', '~0').replaceAll('/', '~1')}`
  return `#${issue.instancePath}${suffix}`
}

function messageOf(issue: ValidationIssue): string {
  if (issue.keyword === 'required') return 'is required'
  if (issue.keyword === 'additionalProperties') return 'is not an allowed property'
  if (issue.keyword === 'enum') {
    return `must be one of ${(issue.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
  }
  const excluded = issue.keyword === 'not' ? (issue.schema as { const?: unknown }).const : undefined
  if (excluded !== undefined) return `must not be ${JSON.stringify(excluded)}`
  if (issue.keyword === 'pattern' && issue.parentSchema?.description) {
    return `must match the format: ${issue.parentSchema.description}`
  }
  return issue.message ?? 'is invalid'
}
