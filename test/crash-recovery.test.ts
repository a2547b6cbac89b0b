import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { refundExpiredChats } from '../src/modules/chat/recovery.js'
import { FakeOpenAi } from './fake-openai.js'
import { build, PASSWORD, providerFrom, signUp, testConfig } from './helper.js'
import { startServer } from './server-process.js'
import { openStoredState } from './stored-state.js'

const KEY = '5d1c0a2e-kill-nine-retry'

async function post(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body)
  })
  return { status: response.status, headers: response.headers, body: await response.json() }
}

t.test('after kill -9 mid-chat and a restart, a retry with the same key runs once the lease expired', async (t) => {
  const fake = await FakeOpenAi.start(t)
  const env = { AI_PROVIDER: 'openai', AI_BASE_URL: fake.baseUrl, AI_MODEL: 'fake', CHAT_LEASE: '2s' }
  const first = await startServer(t, env)
  await post(first.baseUrl, '/api/register/', { username: 'alice', password: PASSWORD })
  const { access } = (await post(first.baseUrl, '/api/login/', { username: 'alice', password: PASSWORD })).body
  const headers = { authorization: `Bearer ${access}`, 'idempotency-key': KEY }

  fake.next({ kind: 'stall' })
  post(first.baseUrl, '/api/chat_msg/', { message: 'hello' }, headers).catch(() => {})
  while (fake.received.length === 0) await sleep(10)
  first.child.kill('SIGKILL')
  await first.exited

  const second = await startServer(t, env, { databaseUrl: first.databaseUrl })
  const recovered = await second.logged((line) => line.msg === 'refunded chats whose lease had expired')
  t.same(recovered.chatIds, [1])
  const retry = await post(second.baseUrl, '/api/chat_msg/', { message: 'hello' }, headers)

  t.equal(retry.status, 201, 'served, not 409: recovery refunded the chat and released its key')
  t.equal(retry.headers.get('idempotent-replayed'), null, 'a new charge, since the first one was refunded')
  const balance = await fetch(`${second.baseUrl}/api/tokenbalance/`, { headers })
  t.equal((await balance.json()).tokens, 3900)
  const state = await openStoredState(testConfig({ DATABASE_URL: first.databaseUrl }).database)
  t.teardown(() => state.close())
  t.equal(await state.countChats('failed'), 1, 'the chat cut off by the crash was refunded')
  const [cutOff] = await state.chats()
  t.ok(cutOff!.updatedAt >= cutOff!.leaseExpiresAt, 'and only once its lease had expired')
  t.equal(await state.countChats('completed'), 1)
  t.same(await state.ledgerMismatches(), [])
})

t.test("recovery's refund of a chat whose lease expired releases its key in the same transaction", async (t) => {
  const held: Array<() => void> = []
  const provider = providerFrom('held', async () => {
    await new Promise<void>((resolve) => held.push(resolve))
    return { text: 'too late', model: 'held', usage: null }
  })
  const { app, state } = await build(t, {}, { provider })
  const { headers } = await signUp(app)
  const answer = app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: { ...headers, 'idempotency-key': KEY },
    payload: { message: 'hello' }
  })
  while (held.length === 0) await sleep(5)
  const [bound] = await state.idempotencyKeys()
  t.equal(bound!.chatId, 1, 'the reservation bound the key to its chat')

  const afterTheLease = Date.now() + 24 * 60 * 60 * 1000
  const refunded = await refundExpiredChats(app.store, app.log, afterTheLease)

  t.same(refunded, [1])
  t.same(await state.idempotencyKeys(), [], 'the key was released with the refund')
  t.equal(await state.countChats('failed'), 1)
  t.same(await state.ledgerMismatches(), [])
  for (const release of held) release()
  await answer
})
