import OpenAI from 'openai'
import t from 'tap'
import { DAY_MS } from '../../src/db/storage-rules.js'
import { balanceOf, chatLedger } from '../metering-setup.js'
import { createKey, gatewaySetup } from './setup.js'

const ask = { model: 'small', messages: [{ role: 'user' as const, content: 'What is the capital of France?' }] }

t.test('calls with a key stop at its daily limit, naming it, what remains and when it resets', async (t) => {
  const { app, headers, client, fake, state } = await gatewaySetup(t)
  const key = await createKey(app, headers, { name: 'capped', daily_limit: 10 })
  const sdk = client(key.secret)

  const costs: number[] = []
  let refused: InstanceType<typeof OpenAI.APIError> | undefined
  for (let call = 0; call < 20 && !refused; call++) {
    await sdk.chat.completions.create({ ...ask, max_tokens: 16 }).then(
      (completion) => costs.push((completion.usage as unknown as { cost: number }).cost),
      (error: InstanceType<typeof OpenAI.APIError>) => (refused = error)
    )
  }

  const spent = costs.reduce((sum, cost) => sum + cost, 0)
  t.ok(costs.length > 0, `${costs.length} calls were answered before the limit`)
  t.ok(spent <= 10, 'the answered calls spent no more than the limit')
  t.ok(refused instanceof OpenAI.RateLimitError, 'then a call was refused')
  const tomorrow = new Date((Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS).toISOString()
  t.match(refused!.error, {
    type: 'insufficient_quota',
    code: 'spend_limit_reached',
    limit: 'key_daily',
    limit_tokens: 10,
    remaining: 10 - spent,
    reset_at: tomorrow,
    message: /daily spend limit has \d+ tokens left/
  })
  t.equal(refused!.headers?.get('x-should-retry'), 'false')
  t.equal(fake.received.length, costs.length, 'the refused call never reached the model')
  const listed = (await app.inject({ method: 'GET', url: '/api/keys/', headers })).json()
  t.match(listed.keys[0], { spend: { day: spent, month: spent } })
  t.equal((await chatLedger(state)).filter((row) => row.reason === 'chat').length, costs.length)
})

t.test('a user’s own monthly limit applies to /v1 calls, with or without a key', async (t) => {
  const { app, headers, access, client } = await gatewaySetup(t)
  await app.inject({ method: 'PATCH', url: '/api/account/', headers, payload: { monthly_limit: 0 } })
  const before = await balanceOf(app, headers)

  const error = await client(access)
    .chat.completions.create(ask)
    .catch((caught: InstanceType<typeof OpenAI.APIError>) => caught)

  t.match(error, { status: 429, error: { code: 'spend_limit_reached', limit: 'user_monthly', remaining: 0 } })
  t.equal(await balanceOf(app, headers), before)
})

t.test('usage reports count /v1 calls per key', async (t) => {
  const { app, headers, access, client } = await gatewaySetup(t)
  const key = await createKey(app, headers)
  await client(key.secret).chat.completions.create(ask)
  await client(key.secret).chat.completions.create(ask)
  await client(access).chat.completions.create(ask)

  const report = (await app.inject({ method: 'GET', url: '/api/usage/?group_by=key', headers })).json()

  t.match(report.items, [
    { api_key_id: null, requests: 1 },
    { api_key_id: key.id, requests: 2 }
  ])
})

t.test('calls past the rate limit are 429 rate_limit_exceeded with Retry-After', async (t) => {
  const { access, client } = await gatewaySetup(t, { RATE_LIMIT: 'on', RATE_LIMIT_CHATS: '1' })
  await client(access).chat.completions.create(ask)

  const error = await client(access)
    .chat.completions.create(ask)
    .catch((caught: InstanceType<typeof OpenAI.APIError>) => caught)

  t.match(error, { status: 429, error: { type: 'requests', code: 'rate_limit_exceeded' } })
  t.ok(Number((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')) > 0)
})
