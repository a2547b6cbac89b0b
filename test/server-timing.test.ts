import t from 'tap'
import type { App } from '../src/app.js'
import { chat, setup } from './metering-setup.js'

const FAKE_DELAY_MS = 60

/** The phases of a `Server-Timing` header, name to milliseconds. */
function phasesOf(header: unknown): Record<string, number> {
  if (typeof header !== 'string') throw new Error(`no Server-Timing header: ${String(header)}`)
  return Object.fromEntries(
    header.split(', ').map((metric) => {
      const [name, duration] = metric.split(';dur=')
      return [name!, Number(duration)]
    })
  )
}

async function overheadCount(app: App, origin: string): Promise<number> {
  const exposition = (await app.inject({ method: 'GET', url: '/metrics' })).body
  const series = `gateway_overhead_seconds_count{origin="${origin}"} `
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(series))
  return line === undefined ? 0 : Number(line.slice(series.length))
}

t.test('a chat message answers with Server-Timing for each phase, and its overhead is measured', async (t) => {
  const { app, headers, fake } = await setup(t)
  fake.next({ kind: 'answer', text: 'Paris.', delayMs: FAKE_DELAY_MS })

  const response = await chat(app, headers, { message: 'What is the capital of France?' })

  t.equal(response.statusCode, 201)
  const phases = phasesOf(response.headers['server-timing'])
  t.same(Object.keys(phases), ['auth', 'hold', 'model', 'settle', 'total'])
  t.ok(
    Object.values(phases).every((ms) => Number.isFinite(ms) && ms >= 0),
    'every duration is a number of ms'
  )
  t.ok(phases.model! >= FAKE_DELAY_MS, 'the model phase holds the model’s own time')
  t.ok(phases.total! >= phases.auth! + phases.hold! + phases.model! + phases.settle!, 'the total covers the phases')
  t.equal(await overheadCount(app, 'chat'), 1)
})

t.test('a /v1 call answers with Server-Timing too; a streamed one names what came before the stream', async (t) => {
  const { app, headers } = await setup(t)
  const ask = { model: 'small', messages: [{ role: 'user', content: 'Hi' }] }

  const plain = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload: ask })
  const streamed = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers,
    payload: { ...ask, stream: true }
  })

  t.same(Object.keys(phasesOf(plain.headers['server-timing'])), ['auth', 'hold', 'model', 'settle', 'total'])
  t.same(Object.keys(phasesOf(streamed.headers['server-timing'])), ['auth', 'hold', 'total'])
  t.equal(await overheadCount(app, 'api'), 2)
})

t.test('a refused call still says where its time went', async (t) => {
  const { app, headers } = await setup(t)

  const response = await chat(app, headers, { message: 'Hi', conversation_id: 999 })

  t.equal(response.statusCode, 404)
  t.same(Object.keys(phasesOf(response.headers['server-timing'])), ['auth', 'hold', 'total'])
  t.equal(await overheadCount(app, 'chat'), 0, 'only settled calls are measured')
})

t.test('refusals before the hold carry Server-Timing too, on /v1 and on chat messages', async (t) => {
  const { app, headers } = await setup(t)

  const unsupported = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers,
    payload: { model: 'small', messages: [{ role: 'user', content: 'Hi' }], tools: [] }
  })
  const unauthenticated = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: 'Bearer sk-acp-unknown' },
    payload: { model: 'small', messages: [{ role: 'user', content: 'Hi' }] }
  })
  const invalid = await chat(app, headers, { message: '' })

  t.equal(unsupported.statusCode, 400)
  t.same(Object.keys(phasesOf(unsupported.headers['server-timing'])), ['auth', 'total'])
  t.equal(unauthenticated.statusCode, 401)
  t.same(Object.keys(phasesOf(unauthenticated.headers['server-timing'])), ['auth', 'total'])
  t.equal(invalid.statusCode, 400)
  t.same(Object.keys(phasesOf(invalid.headers['server-timing'])), ['auth', 'total'])
})
