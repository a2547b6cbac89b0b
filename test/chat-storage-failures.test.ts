import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { AiProvider } from '../src/ai/provider.js'
import type { App } from '../src/app.js'
import type { Store } from '../src/db/store.js'
import { eventsOf } from './event-stream-client.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'
import { unwritableUntilFreed } from './unwritable-store.js'

type Headers = Record<string, string>
const KEY = 'a7e1c2d3-0000-4000-8000-000000000042'
const STORAGE_PROBLEM = { status: 503, code: 'storage_unavailable', instance: '/api/chat_msg/' }

function chat(app: App, headers: Headers, accept?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: { ...headers, 'idempotency-key': KEY, ...(accept ? { accept } : {}) },
    payload: { message: 'hello' }
  })
}

async function balanceOf(app: App, headers: Headers): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })).json().tokens
}

/** The held cost comes back in the background once the disk has room; the tap timeout bounds the wait. */
async function balanceRestored(app: App, headers: Headers) {
  while ((await balanceOf(app, headers)) !== 4000) await sleep(25)
}

async function statuses(state: StoredState) {
  return (await state.chats()).map((row) => row.status)
}

/** Sends a chat on an app whose store cannot take `methods` until freed. */
async function chatOnFullDisk(t: Test, methods: Array<keyof Store>, provider?: AiProvider, accept?: string) {
  const disk = unwritableUntilFreed(...methods)
  const built = await build(t, {}, { store: disk.decorate, ...(provider ? { provider } : {}) })
  const { headers } = await signUp(built.app)
  const response = await chat(built.app, headers, accept)
  return { ...built, disk, headers, response }
}

const failingProvider = providerFrom('failing', async () => {
  throw new Error('the model is down')
})

/** Streams some text, then breaks off. */
const breakingProvider: AiProvider = {
  name: 'breaking',
  complete: () => Promise.reject(new Error('not used')),
  async *stream() {
    yield { type: 'delta', text: 'half an ans' }
    throw new Error('connection reset')
  }
}

t.test('a reply whose settlement cannot commit is 503 storage_unavailable, refunded within seconds', async (t) => {
  const { app, state, disk, headers, response } = await chatOnFullDisk(t, ['settleChat', 'refundChat'])

  assertProblem(t, response, { ...STORAGE_PROBLEM, extensions: { refunded: true } })
  t.equal(response.headers['retry-after'], '2')
  t.same(await statuses(state), ['pending'], 'nothing could be written yet: the cost is still held')

  disk.free()
  await balanceRestored(app, headers)
  t.same(await statuses(state), ['failed'], 'refunded, never stored as an answer')
  t.same(await state.ledgerMismatches(), [])
  const retry = await chat(app, headers)
  t.equal(retry.statusCode, 201, 'the refund released the Idempotency-Key: a retry runs afresh')
  t.equal(retry.headers['idempotent-replayed'], undefined)
  t.equal(await balanceOf(app, headers), 3900)
})

t.test('a failed reply whose refund cannot commit is storage_unavailable, not upstream_error', async (t) => {
  const { app, state, disk, headers, response } = await chatOnFullDisk(t, ['refundChat'], failingProvider)

  assertProblem(t, response, { ...STORAGE_PROBLEM, extensions: { refunded: true } })
  t.equal(await balanceOf(app, headers), 3900, 'held until the database takes the refund')

  disk.free()
  await balanceRestored(app, headers)
  t.same(await statuses(state), ['failed'])
  t.same(await state.ledgerMismatches(), [])
})

t.test('a chat whose context cannot be read is refused as a storage failure before anything is held', async (t) => {
  const disk = unwritableUntilFreed('loadConversationContext')
  const { app, state } = await build(t, {}, { store: disk.decorate })
  const { headers } = await signUp(app)
  const first = await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'one' } })
  const payload = { message: 'two', conversation_id: first.json().conversation_id }

  const response = await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload })

  assertProblem(t, response, STORAGE_PROBLEM)
  t.equal(await balanceOf(app, headers), 3900, 'only the first message is charged')
  t.same(await statuses(state), ['completed'], 'nothing was reserved for the second')
  t.same(await state.ledgerMismatches(), [])
})

t.test('a complete streamed reply is never stored as incomplete because the database failed', async (t) => {
  const { app, state, disk, headers, response } = await chatOnFullDisk(
    t,
    ['settleChat', 'refundChat'],
    undefined,
    'text/event-stream'
  )

  const terminal = eventsOf(response.body).filter(({ event }) => event !== 'delta')
  t.equal(terminal.length, 1, 'exactly one terminal event')
  t.match(terminal[0], { event: 'error', data: { code: 'storage_unavailable', status: 503, refunded: true } })
  disk.free()
  await balanceRestored(app, headers)
  t.same(await statuses(state), ['failed'])
  t.equal(await state.countChats('incomplete'), 0)
  t.same(await state.ledgerMismatches(), [])
})

t.test('a broken stream whose partial answer cannot be stored ends with one error event and is refunded', async (t) => {
  const { app, state, disk, headers, response } = await chatOnFullDisk(
    t,
    ['settleChat', 'refundChat'],
    breakingProvider,
    'text/event-stream'
  )

  const events = eventsOf(response.body)
  t.same(events[0], { event: 'delta', data: { text: 'half an ans' } })
  t.same(
    events.slice(1).map(({ event }) => event),
    ['error'],
    'exactly one terminal event'
  )
  t.match(events[1], { data: { code: 'storage_unavailable', refunded: true } })
  disk.free()
  await balanceRestored(app, headers)
  t.same(await statuses(state), ['failed'])
  t.same(await state.ledgerMismatches(), [])
})

t.test('a broken stream whose charged answer cannot be remembered still ends with its error event', async (t) => {
  const { app, state, disk, headers, response } = await chatOnFullDisk(
    t,
    ['completeIdempotentRequest'],
    breakingProvider,
    'text/event-stream'
  )

  const terminal = eventsOf(response.body).filter(({ event }) => event !== 'delta')
  t.match(terminal, [{ event: 'error', data: { code: 'upstream_error', refunded: false } }])
  t.equal((await chat(app, headers, 'text/event-stream')).statusCode, 409, 'the key stays busy meanwhile')
  disk.free()
  for (;;) {
    const retry = await chat(app, headers, 'text/event-stream')
    if (retry.headers['idempotent-replayed'] === 'true') {
      t.same(eventsOf(retry.body), terminal, 'the charged answer is replayed')
      break
    }
    await sleep(25)
  }
  t.same(await statuses(state), ['incomplete'])
  t.equal(await balanceOf(app, headers), 3900)
})
