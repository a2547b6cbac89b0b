import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { censorSecrets, loggerOptions } from '../src/logger.js'
import { build, PASSWORD, signUp } from './helper.js'

interface LogLine {
  level: number
  msg: string
  reqId?: string
  req?: { url: string; remoteAddress: string; headers: Record<string, string> }
  [key: string]: unknown
}

/** Builds the app at log level trace with its log lines captured. */
async function buildLogging(t: Test, env: Record<string, string> = {}) {
  const text: string[] = []
  const built = await build(t, { LOG_LEVEL: 'trace', ...env }, { logStream: { write: (line) => text.push(line) } })
  const lines = () => text.map((line) => JSON.parse(line) as LogLine)
  return { ...built, text: () => text.join(''), lines }
}

t.test('a request without X-Request-Id gets a UUID, in the response header and in its log lines', async (t) => {
  const { app, lines } = await buildLogging(t)
  const response = await app.inject({ method: 'GET', url: '/healthz' })
  const requestId = response.headers['x-request-id']
  t.match(requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  const ofRequest = lines().filter((line) => line.reqId === requestId)
  t.same(
    ofRequest.map((line) => line.msg),
    ['incoming request', 'request completed']
  )
})

t.test('a plain X-Request-Id from the caller is kept, returned and logged', async (t) => {
  const { app, lines } = await buildLogging(t)
  const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'edge-7f3a:42' } })
  t.equal(response.headers['x-request-id'], 'edge-7f3a:42')
  t.equal(lines().filter((line) => line.reqId === 'edge-7f3a:42').length, 2)
})

for (const [name, offered] of [
  ['longer than 128 characters', 'x'.repeat(129)],
  ['with spaces and quotes', 'id" injected="yes'],
  ['empty', '']
]) {
  t.test(`an X-Request-Id ${name} is replaced by a UUID`, async (t) => {
    const { app } = await buildLogging(t)
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': offered! } })
    t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  })
}

t.test('errors carry the request id too', async (t) => {
  const { app } = await buildLogging(t)
  const response = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: { 'x-request-id': 'abc' } })
  t.equal(response.statusCode, 401)
  t.equal(response.headers['x-request-id'], 'abc')
})

t.test('the authorization header is logged as [Redacted]', async (t) => {
  const { app, lines } = await buildLogging(t)
  const { headers } = await signUp(app)
  await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: { ...headers, 'x-request-id': 'balance' } })
  const incoming = lines().find((line) => line.reqId === 'balance' && line.msg === 'incoming request')
  t.equal(incoming?.req?.headers.authorization, '[Redacted]')
  t.equal(incoming?.req?.url, '/api/tokenbalance/', 'the rest of the request is logged')
})

t.test('no log line of a whole session, at level trace, holds a password or a token', async (t) => {
  const { app, text } = await buildLogging(t)
  const { access, refresh, headers } = await signUp(app)
  await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'hello' } })
  await app.inject({ method: 'GET', url: '/api/chats/', headers })
  const rotated = await app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh } })
  await app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh } })
  await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers: { authorization: `Bearer ${refresh}` } })

  const logged = text()
  t.ok(logged.length > 0, 'something was logged')
  for (const secret of [PASSWORD, access, refresh, rotated.json().access, rotated.json().refresh]) {
    t.notOk(logged.includes(secret), `${secret.slice(0, 12)}… is not in the logs`)
  }
})

t.test('a chunked request that breaks mid-body is logged at trace without the bytes the client sent', async (t) => {
  const { app, lines, text } = await buildLogging(t)
  const { access } = await signUp(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const body = JSON.stringify({ username: 'mallory', password: PASSWORD })
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.resume()
  const closed = new Promise((resolve) => socket.on('close', resolve))
  // One packet: headers, a chunk announced 16 bytes longer than what follows, then a chunk size that is no number.
  socket.write(
    'POST /api/register/ HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: broken-chunk\r\n' +
      `Authorization: Bearer ${access}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${(body.length - 16).toString(16)}\r\n${body}\r\nzz\r\n`
  )
  await closed

  const clientError = lines().find((line) => line.msg === 'client error')
  t.match(clientError, { level: 10, err: { code: /^HPE_/ } }, 'the parse error is logged at trace')
  const logged = text()
  t.notOk(logged.includes('rawPacket'), 'no rawPacket')
  for (const secret of [access, PASSWORD]) {
    const bytes = Buffer.from(secret).toJSON().data.join(',')
    t.notOk(
      logged.includes(secret) || logged.includes(bytes),
      `${secret.slice(0, 12)}… is not in the logs, in any form`
    )
  }
})

t.test('errors held by a logged error lose their rawPacket too', async (t) => {
  const { app, lines } = await buildLogging(t)
  const rawPacket = Buffer.from('Authorization: Bearer secret')
  const inner = Object.assign(new Error('inner'), { rawPacket })
  app.log.error({ err: Object.assign(new AggregateError([inner], 'outer'), { rawPacket, wrapped: inner }) }, 'nested')
  app.log.error({ err: { message: 'not an error', rawPacket } }, 'plain')
  const nested = lines().find((line) => line.msg === 'nested')
  t.match(nested, { err: { message: 'outer', aggregateErrors: [{ message: 'inner' }], wrapped: { message: 'inner' } } })
  t.notOk(JSON.stringify(lines()).includes('rawPacket'), 'no rawPacket at any depth')
  t.match(
    lines().find((line) => line.msg === 'plain'),
    { err: { message: 'not an error' } }
  )
})

t.test('passwords and tokens in logged objects are redacted up to three levels deep', async (t) => {
  const { app, lines } = await buildLogging(t)
  app.log.info(
    {
      password: 'p1',
      body: { password: 'p2', refresh: 'r1', access: 'a1' },
      user: { session: { token: 't1', jwtSecret: 's1' } },
      username: 'alice'
    },
    'logged by hand'
  )
  const line = lines().find((candidate) => candidate.msg === 'logged by hand')
  t.match(line, {
    password: '[Redacted]',
    body: { password: '[Redacted]', refresh: '[Redacted]', access: '[Redacted]' },
    user: { session: { token: '[Redacted]', jwtSecret: '[Redacted]' } },
    username: 'alice'
  })
})

t.test('headers named like a secret, secrets set on a logged error, and secrets in arrays are redacted', async (t) => {
  const { app, lines } = await buildLogging(t)
  await app.inject({
    method: 'GET',
    url: '/healthz',
    headers: { 'x-request-id': 'odd-headers', token: 'header-token', password: 'header-password' }
  })
  const incoming = lines().find((line) => line.reqId === 'odd-headers' && line.msg === 'incoming request')
  t.match(incoming?.req?.headers, { token: '[Redacted]', password: '[Redacted]' })

  app.log.error({ err: Object.assign(new Error('boom'), { token: 't2', jwtSecret: 's2' }) }, 'error by hand')
  app.log.info({ list: [{ refresh: 'r2', kept: 'k' }, 'plain'] }, 'array by hand')
  const error = lines().find((line) => line.msg === 'error by hand')
  t.match(error, { err: { message: 'boom', token: '[Redacted]', jwtSecret: '[Redacted]' } })
  const array = lines().find((line) => line.msg === 'array by hand')
  t.same(array?.list, [{ refresh: '[Redacted]', kept: 'k' }, 'plain'])
})

t.test('censoring copies what it changes, and leaves alone what is not a plain object or lies deeper', async (t) => {
  const error = Object.assign(new Error('failed'), { password: 'kept for the error serializer' })
  const logged = {
    body: { password: 'p1', note: 'n' },
    err: error,
    untouched: { nested: { note: 'n' } },
    deep: { one: { two: { password: 'beyond three levels' } } }
  }
  const censored = censorSecrets(logged)
  t.same(censored.body, { password: '[Redacted]', note: 'n' })
  t.equal(censored.err, error)
  t.equal(censored.untouched, logged.untouched, 'an object without secrets is passed on as it is')
  t.same(censored.deep, { one: { two: { password: 'beyond three levels' } } })
  t.equal(logged.body.password, 'p1', 'the caller’s object is not changed')
  const plain = { username: 'alice' }
  t.equal(censorSecrets(plain), plain)
})

const proxyCases = [
  {
    case: 'behind a trusted proxy the logged client address comes from X-Forwarded-For',
    trust: '127.0.0.1',
    peer: '127.0.0.1',
    logged: '203.0.113.9'
  },
  {
    case: 'without TRUST_PROXY, X-Forwarded-For is ignored',
    trust: undefined,
    peer: '198.51.100.4',
    logged: '198.51.100.4'
  },
  {
    case: 'X-Forwarded-For from an untrusted peer is ignored',
    trust: '127.0.0.1',
    peer: '198.51.100.4',
    logged: '198.51.100.4'
  }
]

for (const { case: name, trust, peer, logged } of proxyCases) {
  t.test(name, async (t) => {
    const { app, lines } = await buildLogging(t, trust ? { TRUST_PROXY: trust } : {})
    await app.inject({
      method: 'GET',
      url: '/healthz',
      remoteAddress: peer,
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'forwarded' }
    })
    const incoming = lines().find((line) => line.reqId === 'forwarded' && line.msg === 'incoming request')
    t.equal(incoming?.req?.remoteAddress, logged)
  })
}

t.test('LOG_FORMAT chooses pino-pretty or JSON lines; auto follows whether stdout is a terminal', async (t) => {
  const pretty = loggerOptions({ logLevel: 'info', logFormat: 'pretty' })
  t.match(pretty, { level: 'info', transport: { target: 'pino-pretty' } })
  t.notOk('transport' in loggerOptions({ logLevel: 'info', logFormat: 'json' }))
  const auto = loggerOptions({ logLevel: 'info', logFormat: 'auto' })
  t.equal('transport' in auto, process.stdout.isTTY === true)
  const captured = loggerOptions({ logLevel: 'info', logFormat: 'pretty' }, { write: () => {} })
  t.notOk('transport' in captured, 'a stream given by the caller wins')
})
