import type { FastifyReply } from 'fastify'
import type { StoredResponse } from '../../db/store.js'
import type { IdempotentOutcome } from './service.js'

/** Sends a remembered first answer again, marked as a replay. */
function sendReplay(reply: FastifyReply, stored: StoredResponse) {
  return reply
    .code(stored.status)
    .header('idempotent-replayed', 'true')
    .type(stored.status < 400 ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8')
    .send(stored.body)
}

/** Sends a JSON operation's outcome: its answer, or the replay of the first one. */
export function sendOutcome<Body>(reply: FastifyReply, outcome: IdempotentOutcome<Body>) {
  if ('replay' in outcome) return sendReplay(reply, outcome.replay)
  return reply.code(outcome.answer.status).send(outcome.answer.body)
}
