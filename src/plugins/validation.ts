import { Ajv } from 'ajv'
import type { FastifyInstance } from 'fastify'

const sharedOptions = {
  allErrors: false,
  removeAdditional: false,
  useDefaults: true,
  verbose: true,
  strict: false
} as const

/**
 * JSON bodies are validated exactly as sent: no type coercion, unknown properties rejected by the schemas.
 * Path parameters and query strings arrive as text, so only they are coerced.
 */
export function installValidators(app: FastifyInstance) {
  const body = new Ajv({ ...sharedOptions, coerceTypes: false })
  const text = new Ajv({ ...sharedOptions, coerceTypes: 'array' })
  for (const ajv of [body, text]) ajv.addFormat('date-time', true)
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema))
}
