import OpenAI from 'openai'
import t from 'tap'
import { balanceOf, onlyChat } from '../metering-setup.js'
import { createKey, gatewaySetup } from './setup.js'

const ask = { model: 'small', messages: [{ role: 'user' as const, content: 'What is the capital of France?' }] }

async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (error: unknown) => error
  )
  if (!(error instanceof OpenAI.APIError)) throw new Error(`the call was not refused by the API: ${String(error)}`)
  return error
}

t.test('a call with an API key spends from its user’s balance and names the key', async (t) => {
  const { app, headers, client, state } = await gatewaySetup(t)
  const key = await createKey(app, headers)
  const before = await balanceOf(app, headers)

  const completion = await client(key.secret).chat.completions.create(ask)

  const cost = (completion.usage as unknown as { cost: number }).cost
  t.equal(await balanceOf(app, headers), before - cost)
  t.match(await onlyChat(state), { origin: 'api', apiKeyId: key.id, status: 'completed' })
  const listed = (await app.inject({ method: 'GET', url: '/api/keys/', headers })).json()
  t.match(listed.keys[0], { id: key.id, last_used_at: String })
})

t.test('a revoked key is refused at once, and nothing is charged', async (t) => {
  const { app, headers, client, fake } = await gatewaySetup(t)
  const key = await createKey(app, headers)
  await client(key.secret).chat.completions.create(ask)

  await app.inject({ method: 'DELETE', url: `/api/keys/${key.id}/`, headers })
  const before = await balanceOf(app, headers)
  const error = await refusal(client(key.secret).chat.completions.create(ask))

  t.ok(error instanceof OpenAI.AuthenticationError)
  t.match(error.error, { code: 'invalid_api_key' })
  t.equal(await balanceOf(app, headers), before)
  t.equal(fake.received.length, 1, 'only the call before the revocation reached the model')
})

t.test('a key limited to some models lists only those, and is refused the others', async (t) => {
  const { app, headers, client, fake } = await gatewaySetup(t)
  const key = await createKey(app, headers, { name: 'large only', models: ['large'] })

  const models = []
  for await (const model of client(key.secret).models.list()) models.push(model.id)
  const error = await refusal(client(key.secret).chat.completions.create(ask))
  await client(key.secret).chat.completions.create({ ...ask, model: 'large' })

  t.same(models, ['large'])
  t.equal(error.status, 400)
  t.match(error.error, { code: 'model_not_found', param: 'model', message: /small/ })
  t.same(
    fake.received.map((request) => request.body.model),
    ['fake-large']
  )
})

t.test('an expired key and a deactivated user’s key are refused', async (t) => {
  const { app, headers, client } = await gatewaySetup(t)
  const key = await createKey(app, headers)
  const expiring = await createKey(app, headers, {
    name: 'brief',
    expires_at: new Date(Date.now() + 1000).toISOString()
  })

  const user = await app.store.findAccount('alice')
  await app.store.setAccountActive({ userId: user!.id, isActive: false, now: Date.now() })
  const deactivated = await refusal(client(key.secret).chat.completions.create(ask))
  await app.store.setAccountActive({ userId: user!.id, isActive: true, now: Date.now() })
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const expired = await refusal(client(expiring.secret).chat.completions.create(ask))

  t.match(deactivated.error, { code: 'invalid_api_key' })
  t.match(expired.error, { code: 'invalid_api_key' })
  t.ok(await client(key.secret).chat.completions.create(ask), 'the reactivated user’s live key works again')
})
