import { createHash, timingSafeEqual } from 'node:crypto'
import type { Store } from '../../db/store.js'
import type { Limits } from '../../limits/limits.js'
import { notReady, TokenNotValidError } from '../../problems/errors.js'
import { bearerTokenOf } from '../common/bearer-token.js'

/**
 * Ready means the database answers and holds every migration this build ships; anything else is a 503. Limits that
 * cannot be reached are reported but do not make the instance unready: every instance shares them, so that would take
 * them all out of service, while the limits fail open and the database keeps the money safe.
 */
export async function checkReadiness(store: Store, limits: Limits) {
  const [checks, limitsState] = await Promise.all([store.checkReadiness(), limits.checkReadiness()])
  if (checks.database !== 'ok' || checks.migrations !== 'ok') throw notReady({ ...checks, limits: limitsState })
  return {
    status: 'ready' as const,
    checks: { database: checks.database, migrations: checks.migrations, limits: limitsState }
  }
}

const digestOf = (token: string) => createHash('sha256').update(token).digest()

/** Checks that an Authorization header carries the metrics token; digests of equal length compare in constant time. */
export function metricsTokenCheck(metricsToken: string) {
  const expected = digestOf(metricsToken)
  return (authorization: string | undefined) => {
    if (!timingSafeEqual(digestOf(bearerTokenOf(authorization)), expected)) throw new TokenNotValidError()
  }
}
