import { Ajv } from 'ajv'
import type { FastifyInstance } from 'fastify'

const sharedOptions = {
  allErrors: false,
  removeAdditional: false,
  useDefaults: true,
  verbose: true,
  strict: false
} as const

/** A calendar date as RFC 3339 writes it (`2026-12-01`) that exists: February has no 30th. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text)
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/

/** A date and time as RFC 3339 writes it (`2026-12-01T10:15:30Z`, with an offset or Z) on a day that exists. */
export function isDateTime(text: string): boolean {
  return DATE_TIME.test(text) && isCalendarDate(text.slice(0, 10))
}

/**
 * JSON bodies are validated exactly as sent: no type coercion, unknown properties rejected by the schemas.
 * Path parameters and query strings arrive as text, so only they are coerced. The two Ajv instances belong to the
 * process: Ajv keeps what it compiled by schema object, so every app built in one process (the tests build hundreds)
 * reuses the validators instead of compiling every route again.
 */
const bodyValidators = withFormats(new Ajv({ ...sharedOptions, coerceTypes: false }))
const textValidators = withFormats(new Ajv({ ...sharedOptions, coerceTypes: 'array' }))

function withFormats(ajv: Ajv): Ajv {
  ajv.addFormat('date-time', isDateTime)
  ajv.addFormat('date', isCalendarDate)
  return ajv
}

export function installValidators(app: FastifyInstance) {
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyValidators : textValidators).compile(schema)
  )
}
