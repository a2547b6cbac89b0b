import type { FastifyLoggerOptions, FastifyRequest, FastifyServerOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Config } from './config.js'

type LogDestination = NonNullable<FastifyLoggerOptions['stream']>
type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

/**
 * Where secrets could land in a log line: request headers, and any object logged with a password or a token in it
 * (up to three levels deep). The paths use pino's redaction syntax.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...['password', 'access', 'refresh', 'token', 'jwtSecret'].flatMap((key) => [key, `*.${key}`, `*.*.${key}`])
]

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
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: { req: serializeRequest }
  }
  if (stream) return { ...options, stream }
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true)
  if (!pretty) return options
  return { ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
}
