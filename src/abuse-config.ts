import { isIP } from 'node:net'

/** What this service passes to Fastify as `trustProxy`. */
export type TrustProxy = boolean | string[]

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/**
 * `TRUST_PROXY`: `false` (the default), `true` (trust every hop: only when the service cannot be reached except
 * through a proxy that overwrites X-Forwarded-For), or a comma-separated list of proxy addresses, CIDR ranges and
 * the names `loopback`, `linklocal`, `uniquelocal`. A hop count is refused: Fastify 5 trusts nothing for one,
 * since it cannot check that the nearest hop is a proxy. Throws an Error whose message says what is wrong.
 */
export function parseTrustProxy(value: string): TrustProxy {
  if (value === 'false') return false
  if (value === 'true') return true
  if (/^[0-9]+$/.test(value)) {
    throw new Error("a hop count cannot tell a proxy from a client; list the proxies' addresses or CIDR ranges")
  }
  const entries = value.split(',').map((entry) => entry.trim())
  const invalid = entries.find((entry) => !NAMED_RANGES.has(entry) && !isAddressOrRange(entry))
  if (invalid !== undefined) {
    throw new Error(`${JSON.stringify(invalid)} is not true, false, an IP address, a CIDR range or a named range`)
  }
  return entries
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128)
}

/**
 * `CORS_ORIGINS`: comma-separated origins such as `https://app.example.com`, compared exactly with the browser's
 * `Origin` header, so each must be a bare scheme, host and port. Throws an Error whose message says what is wrong.
 */
export function parseCorsOrigins(value: string): string[] {
  const origins = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  for (const origin of origins) {
    if (originOf(origin) !== origin) {
      throw new Error(
        `${JSON.stringify(origin)} is not an origin as browsers send it, such as https://app.example.com ` +
          '(lower case, no default port, no path, no trailing slash)'
      )
    }
  }
  return origins
}

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined
  } catch {
    return undefined
  }
}
