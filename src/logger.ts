import type { FastifyLoggerOptions, FastifyRequest, FastifyServerOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Config } from './config.js'

type LogDestination = NonNullable<FastifyLoggerOptions['stream']>
type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

/** Request and response headers that carry credentials, in pino's redaction syntax. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]'
]

const CENSOR = '[Redacted]'
/** Keys whose values are secrets wherever they appear in a logged object, up to `SECRET_KEY_DEPTH` levels deep. */
const SECRET_KEYS = new Set(['password', 'access', 'refresh', 'token', 'jwtSecret'])
const SECRET_KEY_DEPTH = 3

/**
 * Censors secret keys in the plain objects of a log line. pino's own redaction could say the same with paths that
 * start with a wildcard (`*.password`), but it then runs those paths over the bindings of every child logger, and
 * Fastify makes one for every request: a tenth of all the memory a chat message allocated, at any log level. This
 * runs only for lines that are written. Objects that are not plain (errors, requests) are left to their serializers.
 */
export function censorSecrets(object: Record<string, unknown>, depth = SECRET_KEY_DEPTH): Record<string, unknown> {
  let censored: Record<string, unknown> | undefined
  for (const [key, value] of Object.entries(object)) {
    let replacement = value
    if (SECRET_KEYS.has(key)) replacement = CENSOR
    else if (depth > 1 && isPlainObject(value)) replacement = censorSecrets(value, depth - 1)
    if (replacement === value) continue
    censored ??= { ...object }
    censored[key] = replacement
  }
  return censored ?? object
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** A caller's request id is kept when it is short and plain; anything else could forge log lines, so it is replaced. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:@-]{1,128}$/

export function requestIdOf(request: IncomingMessage): string {
  const offered = request.headers['x-request-id']
  return typeof offered === 'string' && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID()
}

export function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url,
    host: request.host,
    remoteAddress: request.ip,
    headers: request.headers
  }
}

/** pino options: JSON lines, pretty when `LOG_FORMAT` asks for it (or, on `auto`, when stdout is a terminal). */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>, stream?: LogDestination): LoggerOptions {
  const options: LoggerOptions = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    formatters: { log: censorSecrets },
    serializers: { req: serializeRequest }
  }
  if (stream) return { ...options, stream }
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true)
  if (!pretty) return options
  return { ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
}
