import type { FastifyLoggerOptions, FastifyRequest, FastifyServerOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { stdSerializers } from 'pino'
import type { Config } from './config.js'

type LogDestination = NonNullable<FastifyLoggerOptions['stream']>
type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

const CENSOR = '[Redacted]'
/** Keys whose values are secrets wherever they appear in a logged object, up to `SECRET_KEY_DEPTH` levels deep. */
const SECRET_KEYS = ['password', 'access', 'refresh', 'token', 'jwtSecret']
const SECRET_KEY_SET = new Set(SECRET_KEYS)
const SECRET_KEY_DEPTH = 3

/**
 * What the serializers make of requests and errors, in pino's redaction syntax: pino serializes those after
 * `formatters.log` has run, so `censorSecrets` never sees their output. Headers that carry credentials, headers named
 * like a secret key, and secret keys set on an error.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((key) => [`req.headers["${key.toLowerCase()}"]`, `err["${key}"]`])
]

/**
 * Censors secret keys in the plain objects and arrays of a log line. pino's own redaction could say the same with
 * paths that start with a wildcard (`*.password`), but it then runs those paths over the bindings of every child
 * logger, and Fastify makes one for every request: a tenth of all the memory a chat message allocated, at any log
 * level. This runs only for lines that are written. Objects that are not plain (errors, requests) are left to their
 * serializers and to `REDACTED_PATHS`. What it changes it copies; the caller's objects stay as they were.
 */
export function censorSecrets(object: Record<string, unknown>, depth = SECRET_KEY_DEPTH): Record<string, unknown> {
  let censored: Record<string, unknown> | undefined
  for (const [key, value] of Object.entries(object)) {
    const replacement = SECRET_KEY_SET.has(key) ? CENSOR : censorWithin(value, depth - 1)
    if (replacement === value) continue
    censored ??= { ...object }
    censored[key] = replacement
  }
  return censored ?? object
}

function censorWithin(value: unknown, depth: number): unknown {
  if (depth < 1) return value
  if (isPlainObject(value)) return censorSecrets(value, depth)
  if (!Array.isArray(value)) return value
  const items = value.map((item) => censorWithin(item, depth))
  return items.some((item, index) => item !== value[index]) ? items : value
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

type Serialized = Record<string, unknown>
type SerializedError = ReturnType<typeof stdSerializers.err>

/**
 * pino's error serializer, less `rawPacket`: Node puts on a request it cannot parse (a broken chunk, a bad header) the
 * bytes it was given, the Authorization header and the body among them. Errors held by an error are serialized as
 * errors too, and lose theirs as well.
 */
export function serializeError(error: Error): SerializedError {
  const serialized = stdSerializers.err(error)
  if ((serialized as unknown) !== error) return withoutRawPacket(serialized) as SerializedError
  // Not an error at all: pino passes it on as it is, so it is copied rather than changed.
  const { rawPacket: _dropped, ...rest } = serialized
  return rest as SerializedError
}

function withoutRawPacket(serialized: Serialized): Serialized {
  const errorPrototype = Object.getPrototypeOf(serialized)
  const isSerializedError = (value: unknown): value is Serialized =>
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === errorPrototype
  delete serialized.rawPacket
  for (const value of Object.values(serialized)) {
    const nested: unknown[] = Array.isArray(value) ? value : [value]
    nested.filter(isSerializedError).forEach(withoutRawPacket)
  }
  return serialized
}

/** pino options: JSON lines, pretty when `LOG_FORMAT` asks for it (or, on `auto`, when stdout is a terminal). */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>, stream?: LogDestination): LoggerOptions {
  const options: LoggerOptions = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    formatters: { log: censorSecrets },
    serializers: { req: serializeRequest, err: serializeError }
  }
  if (stream) return { ...options, stream }
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true)
  if (!pretty) return options
  return { ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
}
