import OpenAI from 'openai'
import t from 'tap'
import { instancePairCanRun, startInstancePair } from '../instance-pair.js'
import { post, signUpOn } from '../process-requests.js'

const CALLS = 60
/** The key's monthly limit over the default model's price (CHAT_COST, 100 a call). */
const LIMIT = 1000
const AFFORDABLE = LIMIT / 100

const ask = { model: 'offline', messages: [{ role: 'user' as const, content: 'Hello!' }] }

if (instancePairCanRun('two-instance /v1 tests')) {
  t.test('a key’s spend limit and its revocation hold across two instances', async (t) => {
    const { a, b, state } = await startInstancePair(t, {
      RATE_LIMIT: 'on',
      RATE_LIMIT_CHATS: String(CALLS),
      AI_MAX_CONCURRENT_PER_USER: String(CALLS)
    })
    const headers = await signUpOn(a.baseUrl, 'spender')
    const created = await post(a.baseUrl, '/api/keys/', { name: 'shared', monthly_limit: LIMIT }, headers)
    const key = (await created.json()) as { id: number; secret: string }
    const clients = [a, b].map(
      ({ baseUrl }) => new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: key.secret, maxRetries: 0 })
    )

    const answers = await Promise.all(
      Array.from({ length: CALLS }, (_, index) =>
        clients[index % 2]!.chat.completions.create(ask).then(
          (completion) => ({ status: 200, code: 'ok', completion }),
          (error: InstanceType<typeof OpenAI.APIError>) => ({
            status: error.status,
            code: error.code,
            completion: undefined
          })
        )
      )
    )

    const answered = answers.filter(({ status }) => status === 200)
    t.equal(answered.length, AFFORDABLE, 'exactly as many calls as the limit covers were answered')
    t.ok(
      answers.every(({ status, code }) => status === 200 || (status === 429 && code === 'spend_limit_reached')),
      'every other call was refused by the limit'
    )
    t.equal((await state.user('spender')).tokens, 4000 - LIMIT, 'the balance paid for the answered calls alone')
    t.same(await state.ledgerMismatches(), [])
    const listed = await (await fetch(`${b.baseUrl}/api/keys/`, { headers })).json()
    t.match(listed.keys[0], { id: key.id, monthly_limit: LIMIT, spend: { month: LIMIT } })

    const revoked = await fetch(`${a.baseUrl}/api/keys/${key.id}/`, { method: 'DELETE', headers })
    t.equal(revoked.status, 200)
    const afterRevocation = await clients[1]!.models.list().then(
      () => 200,
      (error: InstanceType<typeof OpenAI.APIError>) => error.status
    )
    t.equal(afterRevocation, 401, 'the other instance refuses the key at once')
  })
}
