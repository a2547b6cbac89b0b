import { AiProviderError } from '../../ai/errors.js'
import type { AiReply } from '../../ai/provider.js'
import { isStorageUnavailable, storageUnavailable, upstreamFailure } from '../../problems/errors.js'
import { writeOrRetryLater, type WriteLog } from '../common/write-later.js'
import type { ChatDependencies, ReservedChat } from './dependencies.js'
import type { ReplyDeadline } from './deadline.js'
import type { ChatOutcome } from '../../metrics/recorder.js'
import { chargeFor } from './metering.js'

/**
 * How a chat that did not get its reply ends, and what the client is told. A stream that broke after some text
 * settles as `incomplete` (charged: the text was delivered); anything else is refunded. When the database cannot
 * record the outcome, the chat is refunded (see `refundUnrecorded`). Returns the problem to throw.
 */
export async function failChat(
  deps: ChatDependencies,
  chat: ReservedChat,
  error: unknown,
  { deadline, clientLeft, partialText, log }: FailureContext
): Promise<unknown> {
  if (isStorageUnavailable(error)) return refundUnrecorded(deps, chat, error, log)
  if (error instanceof RefundedMeanwhile) return refundedMeanwhile(deps)
  const failure = classify(error, deadline, !partialText)
  if (partialText) {
    try {
      await settleChat(
        deps,
        chat,
        'incomplete',
        { text: partialText, model: chat.plan.model.upstream, usage: null },
        log
      )
    } catch (settleError) {
      if (isStorageUnavailable(settleError)) return refundUnrecorded(deps, chat, settleError, log)
      if (settleError instanceof RefundedMeanwhile) return refundedMeanwhile(deps)
      throw settleError
    }
    return failure
  }
  const refundedNow = await refund(deps, chat, describe(error, clientLeft), log)
  if (!refundedNow) return storageFailure(deps, error)
  deps.recorder.chatFinished(clientLeft ? 'client_gone' : (failure.code.toLowerCase() as ChatOutcome))
  return failure
}

export interface FailureContext {
  deadline: ReplyDeadline
  clientLeft: boolean
  /** What the client was sent of the reply before it broke off ('' for none). */
  partialText: string
  log: WriteLog
}

/**
 * The chat was refunded while its reply ran: this instance could not renew its lease in time (the database was
 * locked past a lease, or the event loop stalled), and recovery, here or on another instance, refunded it. The reply
 * is not stored and nothing is charged; the client is told so as a reply that took too long.
 */
class RefundedMeanwhile extends Error {}

function refundedMeanwhile(deps: ChatDependencies) {
  deps.recorder.chatFinished('upstream_timeout')
  return upstreamFailure('timeout', true)
}

/**
 * Settles the chat with its reply (or the part of it delivered), charged as `chargeFor` says; throws
 * `RefundedMeanwhile` when the chat was no longer pending.
 */
export async function settleChat(
  deps: ChatDependencies,
  chat: ReservedChat,
  status: 'completed' | 'incomplete',
  reply: AiReply,
  log: WriteLog
) {
  const charge = chargeFor(chat.plan, reply.text, reply.usage)
  if (charge.overHold) {
    const { promptBound, maxTokens, hold } = chat.plan
    log.warn(
      {
        chatId: chat.chatId,
        model: chat.plan.model.id,
        usage: charge.usage,
        promptBound,
        maxTokens,
        hold,
        cost: charge.cost
      },
      'the provider reported more tokens than the hold assumed; charged at most the hold'
    )
    deps.recorder.usageOverHold(chat.plan.model.id)
  }
  const settled = await deps.store.settleChat({
    chatId: chat.chatId,
    status,
    response: reply.text,
    upstreamModel: reply.model,
    usage: charge.usage,
    cost: charge.cost,
    now: Date.now()
  })
  if (!settled) throw new RefundedMeanwhile(`chat ${chat.chatId} was refunded before its reply could be stored`)
  deps.recorder.chatFinished(status)
  if (charge.cost < chat.plan.hold) deps.recorder.tokensRefunded(chat.plan.hold - charge.cost)
  return settled
}

/**
 * The database could not take a chat's settlement (or could not even load its context): the chat is refunded, even
 * if some or all of its text was delivered, because only a refund is certain to follow. The chat stays pending until
 * the refund commits, and every way out of pending for it is a refund: the retries here, the sweep, a restart.
 */
async function refundUnrecorded(deps: ChatDependencies, chat: ReservedChat, cause: unknown, log: WriteLog) {
  await refund(deps, chat, 'the database could not record the reply', log)
  return storageFailure(deps, cause)
}

function storageFailure(deps: ChatDependencies, cause: unknown) {
  deps.recorder.chatFinished('storage_unavailable')
  return storageUnavailable(cause, { refunded: true })
}

/** Refunds the chat now, or in the background once the database takes writes again; says whether it was now. */
function refund(deps: ChatDependencies, chat: ReservedChat, reason: string, log: WriteLog): Promise<boolean> {
  log.warn({ chatId: chat.chatId, reason }, 'the chat got no reply; refunding it')
  return writeOrRetryLater(() => deps.store.refundChat({ chatId: chat.chatId, reason, now: Date.now() }), {
    what: `the refund of chat ${chat.chatId}`,
    log,
    onWritten: (refunded) => {
      if (refunded) deps.recorder.tokensRefunded(chat.plan.hold)
    }
  })
}

function classify(error: unknown, deadline: ReplyDeadline, refunded: boolean) {
  if (deadline.expired) return upstreamFailure('timeout', refunded)
  if (error instanceof AiProviderError) return upstreamFailure(error.kind, refunded, error.retryAfterSeconds)
  return upstreamFailure('error', refunded)
}

function describe(error: unknown, clientLeft: boolean): string {
  if (clientLeft) return 'the client disconnected before any text'
  return `provider error: ${error instanceof Error ? error.message : String(error)}`
}
