import { randomUUID } from 'node:crypto'
import type { ChargingStore, ChatLease } from '../../db/store.js'

export interface LeaseLog {
  error(details: object, message: string): void
}

/**
 * The leases this instance holds on the pending chats whose replies it is running. A chat is held from its
 * reservation until its reply is over, however that ended, and the leases of all held chats are renewed together,
 * in one statement, every third of a lease: a reply that streams for minutes keeps its chat, while a chat this
 * instance no longer works on (its process died, or its refund was left to a retry in the background) expires within
 * a lease, for recovery (see recovery.ts) to refund, here or on another instance.
 */
export class ChatLeases {
  /** This instance, as the holder of the leases it takes; a new one each time the app is built. */
  readonly holder = randomUUID()
  private readonly held = new Set<number>()
  private readonly timer: NodeJS.Timeout
  private renewing = false

  constructor(
    private readonly store: Pick<ChargingStore, 'renewChatLeases'>,
    private readonly leaseMs: number,
    private readonly log: LeaseLog
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(leaseMs / 3)))
    this.timer.unref()
  }

  /** The lease a chat reserved now takes. */
  forReservation(): ChatLease {
    return { holder: this.holder, expiresAt: Date.now() + this.leaseMs }
  }

  hold(chatId: number) {
    this.held.add(chatId)
  }

  release(chatId: number) {
    this.held.delete(chatId)
  }

  stop() {
    clearInterval(this.timer)
  }

  /** One renewal at a time: one that waits for the write lock is not joined by the next. */
  private async renew() {
    if (this.held.size === 0 || this.renewing) return
    this.renewing = true
    try {
      await this.store.renewChatLeases(this.holder, [...this.held], Date.now() + this.leaseMs)
    } catch (error) {
      this.log.error({ err: error, chats: this.held.size }, 'the leases of the chats in flight could not be renewed')
    } finally {
      this.renewing = false
    }
  }
}
