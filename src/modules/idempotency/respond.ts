import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IdempotencyScope, Store, StoredResponse } from '../../db/store.js'
import { startIdempotentRequest } from './service.js'

/** Sends a remembered first answer again, marked as a replay. */
export function sendReplay(reply: FastifyReply, stored: StoredResponse) {
  return reply
    .code(stored.status)
    .header('idempotent-replayed', 'true')
    .type(stored.status < 400 ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8')
    .send(stored.body)
}

/**
 * Runs a JSON operation under an optional `Idempotency-Key`: a success is remembered and replayed to retries; a
 * failure (which changed nothing) releases the key, so a retry runs afresh.
 */
export async function respondIdempotently(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: Omit<IdempotencyScope, 'key'> & { key: string | undefined },
  fingerprint: unknown,
  run: () => Promise<{ status: number; body: unknown }>
) {
  if (scope.key === undefined) {
    const { status, body } = await run()
    return reply.code(status).send(body)
  }
  const started = await startIdempotentRequest(store, { ...scope, key: scope.key }, fingerprint, request.log)
  if ('replay' in started) return sendReplay(reply, started.replay)
  let result
  try {
    result = await run()
  } catch (error) {
    await started.claim.release()
    throw error
  }
  await started.claim.remember({ status: result.status, body: JSON.stringify(result.body) })
  return reply.code(result.status).send(result.body)
}
