import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { AiProvider, AiReply } from '../src/ai/provider.js'
import { refundExpiredChats } from '../src/modules/chat/recovery.js'
import { eventsOf } from './event-stream-client.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'
import { unwritableUntilFreed } from './unwritable-store.js'

/** Long enough that a busy machine does not stall the renewal timer past it. */
const LEASE_MS = 2000

async function onlyChat(state: StoredState) {
  const [chat] = await state.chats()
  return chat!
}

t.test('a reply that outlasts several leases keeps its chat: its lease is renewed while it runs', async (t) => {
  let answer: (reply: AiReply) => void = () => {}
  const provider = providerFrom('slow', () => new Promise((resolve) => (answer = resolve)))
  const { app, state } = await build(t, { CHAT_LEASE: `${LEASE_MS / 1000}s` }, { provider })
  const { headers } = await signUp(app)
  const reply = app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'hello' } })
  while ((await state.countChats('pending')) === 0) await sleep(5)
  const taken = await onlyChat(state)
  t.match(taken.leaseHolder, /^[0-9a-f-]{36}$/, 'the reservation records the instance')

  // Over two leases: the sweep runs once a lease, and would refund a chat whose lease was not renewed.
  await sleep(2.5 * LEASE_MS)

  const renewed = await onlyChat(state)
  t.equal(renewed.status, 'pending')
  t.equal(renewed.leaseHolder, taken.leaseHolder)
  t.ok(renewed.leaseExpiresAt > taken.leaseExpiresAt, 'renewed')
  answer({ text: 'worth the wait', model: 'slow', usage: null })
  const response = await reply
  t.equal(response.statusCode, 201)
  t.match(response.json(), { response: 'worth the wait', status: 'completed', remaining_tokens: 3900 })
  t.same(await state.ledgerMismatches(), [])
})

t.test('a chat whose refund was left to a background retry is no longer renewed: recovery refunds it', async (t) => {
  const disk = unwritableUntilFreed('refundChat')
  const failing = providerFrom('failing', async () => {
    throw new Error('the model is down')
  })
  const { app, state } = await build(
    t,
    { CHAT_LEASE: `${LEASE_MS / 1000}s` },
    { provider: failing, store: disk.decorate }
  )
  const { headers } = await signUp(app)

  const response = await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'hi' } })

  assertProblem(t, response, {
    status: 503,
    code: 'storage_unavailable',
    instance: '/api/chat_msg/',
    extensions: { refunded: true }
  })
  // The refund keeps being refused; the sweep's refund of the expired lease is what lands, within about two leases.
  while ((await state.countChats('pending')) > 0) await sleep(25)
  t.match(await onlyChat(state), { status: 'failed', failureReason: /lease expired/ })
  const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  t.equal(balance.json().tokens, 4000)
  t.same(await state.ledgerMismatches(), [])
})

t.test('a stream whose chat was refunded meanwhile never frees the key a retry has claimed since', async (t) => {
  let breakFirst: () => void = () => {}
  let calls = 0
  const provider: AiProvider = {
    name: 'scripted',
    complete: () => Promise.reject(new Error('not used')),
    async *stream() {
      calls += 1
      if (calls === 1) {
        yield { type: 'delta', text: 'half an ans' }
        await new Promise<void>((resolve) => (breakFirst = resolve))
        throw new Error('connection reset')
      }
      yield { type: 'delta', text: 'a whole answer' }
      yield { type: 'end', model: 'scripted', usage: null }
    }
  }
  const { app, state } = await build(t, { CHAT_LEASE: '1h' }, { provider })
  const { headers } = await signUp(app)
  const keyed = { ...headers, 'idempotency-key': 'lost-lease', accept: 'text/event-stream' }
  const send = () => app.inject({ method: 'POST', url: '/api/chat_msg/', headers: keyed, payload: { message: 'hi' } })
  const first = send()
  while (calls === 0) await sleep(5)

  // The instance lost its lease (a stalled event loop, say): recovery refunds the chat and releases its key.
  t.same(await refundExpiredChats(app.store, app.log, Date.now() + 2 * 60 * 60 * 1000), [1])
  const retry = await send()
  t.match(eventsOf(retry.body).at(-1), { event: 'done', data: { response: 'a whole answer' } })
  breakFirst()
  const cutOff = eventsOf((await first).body).filter(({ event }) => event !== 'delta')

  t.match(cutOff, [{ event: 'error', data: { code: 'upstream_timeout', refunded: true } }])
  const again = await send()
  t.equal(again.headers['idempotent-replayed'], 'true', "the retry's answer is still what the key replays")
  t.same(eventsOf(again.body), [eventsOf(retry.body).at(-1)])
  const balance = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  t.equal(balance.json().tokens, 3900, 'charged once, for the retry')
  t.same(await state.ledgerMismatches(), [])
})
