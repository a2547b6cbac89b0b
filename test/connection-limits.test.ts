import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { build, providerFrom, signUp } from './helper.js'

/** Splits a raw HTTP/1.1 answer into its status, its headers (names in lower case) and its body. */
function parseAnswer(text: string) {
  const [head = '', body = ''] = text.split('\r\n\r\n')
  const [statusLine = '', ...headerLines] = head.split('\r\n')
  const headers = Object.fromEntries(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim()
    ])
  )
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

/** Longer than any deadline below plus the one-second check; past it, the socket was never closed. */
const GIVE_UP_MS = 6000

async function listen(app: App): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as { port: number }).port
}

/** A raw TCP connection to the app: what it received, and whether and when the server closed it. */
function openSocket(t: Test, port: number) {
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  socket.on('data', (chunk) => (received += chunk))
  socket.on('error', () => {})
  const closed = new Promise<'closed'>((resolve) => socket.on('close', () => resolve('closed')))
  /** Resolves `closed`, or `still open` once GIVE_UP_MS have passed. */
  const closedInTime = () => Promise.race([closed, sleep(GIVE_UP_MS, 'still open' as const)])
  return { socket, received: () => received, closedInTime }
}

t.test(
  'a socket that sends headers and never the body gets a 408 problem and a close after REQUEST_TIMEOUT',
  async (t) => {
    const { app, state } = await build(t, { REQUEST_TIMEOUT: '1s' })
    const client = openSocket(t, await listen(app))
    const sent = Date.now()
    client.socket.write(
      'POST /api/register/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n'
    )

    t.equal(await client.closedInTime(), 'closed')
    t.ok(Date.now() - sent >= 1000, 'not before the timeout')
    const answer = parseAnswer(client.received())
    t.equal(answer.status, 408)
    t.match(answer.headers, { 'content-type': /^application\/problem\+json\b/, connection: 'close' })
    t.same(JSON.parse(answer.body), {
      type: 'urn:ai-chat-api:problem:request_timeout',
      title: 'Request Timeout',
      status: 408,
      detail: 'The request was not received within the time allowed',
      code: 'request_timeout'
    })
    t.same(await state.users(), [], 'nothing was stored')
  }
)

const unreadable = [
  {
    case: 'a header line without a colon',
    extra: 'no colon in this header\r\n',
    status: 400,
    code: 'malformed_request'
  },
  {
    case: '32 KiB of headers',
    extra: `X-Padding: ${'x'.repeat(32 * 1024)}\r\n`,
    status: 431,
    code: 'headers_too_large'
  }
]

for (const { case: name, extra, status, code } of unreadable) {
  t.test(`a request with ${name} gets a ${status} ${code} problem and a close`, async (t) => {
    const { app } = await build(t)
    const client = openSocket(t, await listen(app))
    client.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`)

    t.equal(await client.closedInTime(), 'closed')
    const answer = parseAnswer(client.received())
    t.equal(answer.status, status)
    t.match(answer.headers, { 'content-type': /^application\/problem\+json\b/, connection: 'close' })
    t.match(JSON.parse(answer.body), { type: `urn:ai-chat-api:problem:${code}`, status, code })
  })
}

t.test('a reply that takes longer than REQUEST_TIMEOUT is not cut off: only receiving is timed', async (t) => {
  const slowProvider = providerFrom('slow', async () => {
    await sleep(2500)
    return { text: 'worth the wait', model: 'slow', usage: null }
  })
  const { app, state } = await build(t, { REQUEST_TIMEOUT: '1s' }, { provider: slowProvider })
  const { headers } = await signUp(app)
  const port = await listen(app)

  const response = await fetch(`http://127.0.0.1:${port}/api/chat_msg/`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'hello' })
  })

  t.equal(response.status, 201)
  t.match(await response.json(), { response: 'worth the wait', remaining_tokens: 3900 })
  t.same(
    (await state.chats()).map(({ response }) => ({ response })),
    [{ response: 'worth the wait' }]
  )
})

t.test('an idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT', async (t) => {
  const { app } = await build(t, { KEEP_ALIVE_TIMEOUT: '1s' })
  const client = openSocket(t, await listen(app))
  client.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')

  t.equal(await client.closedInTime(), 'closed')
  t.match(client.received(), /^HTTP\/1\.1 200 OK\r\n/)
  t.match(client.received(), /\r\nKeep-Alive: timeout=1\r\n/)
})

t.test('a connection beyond MAX_CONNECTIONS is dropped unanswered; one closing makes room', async (t) => {
  const { app } = await build(t, { MAX_CONNECTIONS: '1' })
  const port = await listen(app)
  const request = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'
  const first = openSocket(t, port)
  first.socket.write(request)
  while (!first.received().includes('"ok"')) await sleep(10)

  const second = openSocket(t, port)
  second.socket.write(request)
  t.equal(await second.closedInTime(), 'closed')
  t.equal(second.received(), '', 'the second connection got no answer')

  first.socket.destroy()
  while ((await new Promise<number>((resolve) => app.server.getConnections((_, count) => resolve(count)))) > 0) {
    await sleep(10)
  }
  const third = openSocket(t, port)
  third.socket.write(request)
  while (!third.received().includes('"ok"')) await sleep(10)
  t.match(third.received(), /^HTTP\/1\.1 200 OK\r\n/)
})
