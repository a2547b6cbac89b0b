import { createApiClient, type ChatEvent, type TokenPair } from 'ai-chat-api-client'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { build, PASSWORD, providerFrom } from './helper.js'
import type { StoredState } from './stored-state.js'

const ACCESS_TOKEN_SECONDS = 3

/** Builds the app with short-lived access tokens and listens on a free port, as a deployed server would. */
async function serve(t: Test, overrides: Parameters<typeof build>[2] = {}) {
  const built = await build(t, { ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_SECONDS}s` }, overrides)
  const baseUrl = await built.app.listen({ port: 0, host: '127.0.0.1' })
  const saved: Array<TokenPair | undefined> = []
  const client = createApiClient({ baseUrl, onTokens: (tokens) => saved.push(tokens) })
  return { ...built, baseUrl, client, saved }
}

function waitForAccessTokenToExpire() {
  return sleep(ACCESS_TOKEN_SECONDS * 1000 + 200)
}

async function refreshTokenRows(state: StoredState) {
  return (await state.refreshTokens()).map(({ spentAt }) => ({ spentAt }))
}

t.test(
  'the typed client drives register → login → chat → history → balance → refresh → logout over HTTP',
  async (t) => {
    const { client, saved, state, baseUrl } = await serve(t)

    const registered = await client.POST('/api/register/', { body: { username: 'alice', password: PASSWORD } })
    t.equal(registered.response.status, 201)
    t.same(registered.data, { message: 'User registered successfully', username: 'alice', tokens: 4000 })

    const loggedIn = await client.logIn({ username: 'alice', password: PASSWORD })
    t.equal(loggedIn.data?.message, 'Login successful')
    t.same(client.tokens, { access: loggedIn.data?.access, refresh: loggedIn.data?.refresh })
    t.same(saved, [client.tokens], 'the new tokens were handed over to be saved')

    const chat = await client.sendMessage({ message: 'Hello!' })
    t.equal(chat.response.status, 201)
    if (chat.error) throw new Error(`the chat message failed: ${chat.error.code}`)
    t.match(chat.data, { message: 'Hello!', response: /\S/, remaining_tokens: 3900 })

    const page = await client.GET('/api/chats/', { params: { query: { limit: 10 } } })
    t.same(
      page.data?.items.map((item) => item.message),
      ['Hello!']
    )
    t.equal(page.data?.next_cursor, null)
    const one = await client.GET('/api/chats/{id}/', { params: { path: { id: chat.data.id } } })
    t.equal(one.data?.response, chat.data.response)

    const balance = await client.GET('/api/tokenbalance/')
    t.same(balance.data, { username: 'alice', tokens: 3900 })

    const loginTokens = client.tokens!
    await waitForAccessTokenToExpire()
    const afterExpiry = await client.GET('/api/tokenbalance/')

    t.equal(afterExpiry.response.status, 200, 'the expired access token was renewed and the request repeated')
    t.same(afterExpiry.data, { username: 'alice', tokens: 3900 })
    t.not(client.tokens?.access, loginTokens.access)
    t.not(client.tokens?.refresh, loginTokens.refresh)
    t.same(saved.at(-1), client.tokens, 'the rotated tokens were handed over to be saved')
    t.match(await refreshTokenRows(state), [{ spentAt: Number }, { spentAt: null }], 'one refresh token was spent')

    const accessBeforeLogout = client.tokens!.access
    const loggedOut = await client.logOut()
    t.equal(loggedOut.response.status, 200)
    t.equal(client.tokens, undefined, 'the tokens are forgotten')
    const afterLogout = await fetch(`${baseUrl}/api/tokenbalance/`, {
      headers: { authorization: `Bearer ${accessBeforeLogout}` }
    })
    t.equal(afterLogout.status, 401, 'the server ended the login')
  }
)

t.test('requests that find the access token expired at once spend the refresh token once', async (t) => {
  const { client, state, saved } = await serve(t)
  await client.POST('/api/register/', { body: { username: 'bob', password: PASSWORD } })
  await client.logIn({ username: 'bob', password: PASSWORD })
  await waitForAccessTokenToExpire()

  const answers = await Promise.all(Array.from({ length: 6 }, () => client.GET('/api/tokenbalance/')))

  t.same(
    answers.map((answer) => answer.response.status),
    [200, 200, 200, 200, 200, 200]
  )
  t.match(await refreshTokenRows(state), [{ spentAt: Number }, { spentAt: null }], 'exactly one refresh')
  t.equal(saved.length, 2, 'the login and one rotation')
  t.equal((await client.GET('/api/tokenbalance/')).response.status, 200, 'the login is still alive')
})

t.test('when the refresh token is spent too, the 401 comes back and the tokens are dropped', async (t) => {
  const { client, baseUrl, saved } = await serve(t)
  await client.POST('/api/register/', { body: { username: 'carol', password: PASSWORD } })
  await client.logIn({ username: 'carol', password: PASSWORD })
  const stolen = client.tokens!
  // Someone else spends the refresh token first.
  const thief = createApiClient({ baseUrl })
  t.equal((await thief.POST('/api/token/refresh/', { body: { refresh: stolen.refresh } })).response.status, 200)
  const expired = createApiClient({ baseUrl, tokens: { access: 'not-a-token', refresh: stolen.refresh } })

  const answer = await expired.GET('/api/tokenbalance/')

  t.equal(answer.response.status, 401)
  t.equal(answer.error?.code, 'token_not_valid')
  t.equal(expired.tokens, undefined)
  t.equal(saved.length, 1, 'the first client was not involved')
})

t.test('without a login, protected calls answer with a typed problem and nothing is refreshed', async (t) => {
  const { client } = await serve(t)
  const answer = await client.POST('/api/chat_msg/', { body: { message: 'hi' } })
  t.equal(answer.response.status, 401)
  t.match(answer.error, { code: 'not_authenticated', status: 401, type: 'urn:ai-chat-api:problem:not_authenticated' })
})

t.test('forgetTokens logs the client out on its side', async (t) => {
  const { client, saved } = await serve(t)
  await client.POST('/api/register/', { body: { username: 'dave', password: PASSWORD } })
  await client.logIn({ username: 'dave', password: PASSWORD })

  client.forgetTokens()

  t.equal(client.tokens, undefined)
  t.equal(saved.at(-1), undefined)
  t.equal((await client.GET('/api/tokenbalance/')).error?.code, 'not_authenticated')
})

t.test('a request with its own Authorization header is sent as it is and never retried', async (t) => {
  const { client } = await serve(t)
  await client.POST('/api/register/', { body: { username: 'erin', password: PASSWORD } })
  await client.logIn({ username: 'erin', password: PASSWORD })
  const refreshBefore = client.tokens!.refresh

  const answer = await client.GET('/api/tokenbalance/', { headers: { authorization: 'Bearer forged' } })

  t.equal(answer.error?.code, 'token_not_valid')
  t.equal(client.tokens?.refresh, refreshBefore, 'the refresh token was not spent')
})

t.test('the typed client creates an API key and makes a /v1 call with it, typed end to end', async (t) => {
  const { client } = await serve(t)
  await client.POST('/api/register/', { body: { username: 'alice', password: PASSWORD } })
  await client.logIn({ username: 'alice', password: PASSWORD })

  const key = await client.POST('/api/keys/', { body: { name: 'client test' } })
  t.equal(key.response.status, 201)
  const secret = key.data!.secret
  t.match(secret, /^sk-acp-/)
  const completion = await client.POST('/v1/chat/completions', {
    body: { model: 'offline', messages: [{ role: 'user', content: 'Hello!' }] },
    headers: { authorization: `Bearer ${secret}` }
  })

  t.equal(completion.response.status, 200)
  if (!completion.data || typeof completion.data !== 'object') throw new Error('a JSON completion was expected')
  t.match(completion.data, {
    object: 'chat.completion',
    choices: [{ message: { role: 'assistant', content: /\S/ }, finish_reason: 'stop' }],
    usage: { cost: 100, remaining_tokens: 3900 }
  })
  const balance = await client.GET('/api/tokenbalance/')
  t.same(balance.data, { username: 'alice', tokens: 3900 })
})

async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const collected: ChatEvent[] = []
  for await (const event of events) collected.push(event)
  return collected
}

t.test('streamMessage yields the reply as it is written, then the answer as stored', async (t) => {
  const { client } = await serve(t)
  await client.POST('/api/register/', { body: { username: 'frank', password: PASSWORD } })
  await client.logIn({ username: 'frank', password: PASSWORD })

  const events = await collect(client.streamMessage({ message: 'hello there' }, { idempotencyKey: 'stream-1' }))

  const done = events.at(-1)
  if (done?.type !== 'done') throw new Error(`the stream ended with ${JSON.stringify(done)}`)
  const deltas = events.slice(0, -1)
  t.ok(deltas.length > 1, 'more than one delta')
  t.equal(deltas.map((event) => (event.type === 'delta' ? event.text : '')).join(''), done.reply.response)
  t.match(done.reply, { message: 'hello there', status: 'completed', remaining_tokens: 3900 })
  const stored = await client.GET('/api/chats/{id}/', { params: { path: { id: done.reply.id } } })
  t.equal(stored.data?.response, done.reply.response)
  const replayed = await collect(client.streamMessage({ message: 'hello there' }, { idempotencyKey: 'stream-1' }))
  t.same(replayed, [done], 'the idempotency key replays the answer as one done event')
  t.same((await client.GET('/api/tokenbalance/')).data, { username: 'frank', tokens: 3900 }, 'charged once')
})

t.test('streamMessage yields a refusal before the stream as its one error event', async (t) => {
  const { client } = await serve(t)

  const events = await collect(client.streamMessage({ message: 'hi' }))

  t.match(events, [{ type: 'error', problem: { status: 401, code: 'not_authenticated' } }])
  t.equal(events.length, 1)
})

t.test('streamMessage yields the error event of a reply that failed while streaming', async (t) => {
  const silent = providerFrom('silent', async () => ({ text: 'unused', model: 'x', usage: null }))
  const { client } = await serve(t, { provider: { ...silent, async *stream() {} } })
  await client.POST('/api/register/', { body: { username: 'grace', password: PASSWORD } })
  await client.logIn({ username: 'grace', password: PASSWORD })

  const events = await collect(client.streamMessage({ message: 'hello' }))

  t.match(events, [{ type: 'error', problem: { code: 'upstream_error', refunded: true } }])
  t.equal(events.length, 1)
  t.same((await client.GET('/api/tokenbalance/')).data, { username: 'grace', tokens: 4000 }, 'refunded')
})
