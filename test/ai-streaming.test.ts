import t from 'tap'
import type { AiProvider } from '../src/ai/provider.js'
import type { App } from '../src/app.js'
import { refundExpiredChats } from '../src/modules/chat/recovery.js'
import { eventsOf } from './event-stream-client.js'
import { build, providerFrom, signUp } from './helper.js'

function streamChat(app: App, headers: Record<string, string>, message: string) {
  return app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: { ...headers, accept: 'text/event-stream' },
    payload: { message }
  })
}

t.test('the offline provider streams its reply word by word and ends with the full answer', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)

  const response = await streamChat(app, headers, 'hello there')

  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/event-stream/)
  const events = eventsOf(response.body)
  const done = events.at(-1)!
  t.equal(done.event, 'done')
  const deltas = events.slice(0, -1)
  t.ok(deltas.length > 1, 'more than one delta')
  t.ok(deltas.every((event) => event.event === 'delta'))
  t.equal(deltas.map((event) => event.data.text).join(''), done.data.response)
  t.match(done.data, { status: 'completed', model: 'offline', remaining_tokens: 3900 })
})

t.test('a stream that ends without the end of the reply is refunded when no text came', async (t) => {
  const truncated: AiProvider = {
    ...providerFrom('truncated', async () => ({ text: 'unused', model: 'x', usage: null })),
    async *stream() {}
  }
  const { app, state } = await build(t, {}, { provider: truncated })
  const { headers } = await signUp(app)

  const events = eventsOf((await streamChat(app, headers, 'hello')).body)

  t.match(events, [{ event: 'error', data: { code: 'upstream_error', refunded: true } }])
  t.equal(await state.countChats('failed'), 1)
  t.same(await state.ledgerMismatches(), [])
})

t.test('recovery refunds a pending chat once its lease has expired, and not before', async (t) => {
  let release: () => void = () => {}
  const held = providerFrom(
    'held',
    () => new Promise((resolve) => (release = () => resolve({ text: 'late', model: 'held', usage: null })))
  )
  const { app, state } = await build(t, { CHAT_LEASE: '1h' }, { provider: held })
  const { headers } = await signUp(app)
  const answer = app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'hello' } })
  while ((await state.countChats('pending')) === 0) await new Promise((resolve) => setImmediate(resolve))

  t.same(await refundExpiredChats(app.store, app.log, Date.now()), [], 'a chat within its lease is kept')
  t.same(await refundExpiredChats(app.store, app.log, Date.now() + 60 * 60 * 1000 + 1), [1])

  t.equal(await state.countChats('failed'), 1)
  t.same(await state.ledgerMismatches(), [])
  release()
  const late = await answer
  t.equal(late.statusCode, 504, 'a reply that comes after its chat was refunded is not stored')
  t.match(late.json(), { code: 'upstream_timeout', refunded: true })
  t.equal(await state.countChats('failed'), 1)
  t.same(await state.ledgerMismatches(), [], 'and is not charged')
})
