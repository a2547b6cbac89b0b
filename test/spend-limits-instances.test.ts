import t from 'tap'
import { instancePairCanRun, startInstancePair } from './instance-pair.js'
import { chat, signUpOn } from './process-requests.js'

const CHATS = 200
/** The default flat price of a message (CHAT_COST), and a monthly limit that covers this many of them. */
const COST = 100
const COVERED = 12

if (instancePairCanRun('spend limits across two instances')) {
  t.test('simultaneous chats across two instances never pass a monthly limit', async (t) => {
    // Limits so loose that only the spend limit can refuse (the balance covers every chat).
    const { a, b, state } = await startInstancePair(t, {
      RATE_LIMIT: 'on',
      RATE_LIMIT_CHATS: String(CHATS),
      AI_MAX_CONCURRENT_PER_USER: String(CHATS),
      INITIAL_TOKENS: String(CHATS * COST)
    })
    const headers = await signUpOn(a.baseUrl, 'capped')
    const patched = await fetch(`${b.baseUrl}/api/account/`, {
      method: 'PATCH',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ monthly_limit: COVERED * COST })
    })
    t.equal(patched.status, 200)

    const urls = [a.baseUrl, b.baseUrl]
    const answers = await Promise.all(
      Array.from({ length: CHATS }, (_, index) => chat(urls[index % 2]!, headers, `chat ${index}`))
    )

    t.equal(answers.filter(({ status }) => status === 201).length, COVERED)
    t.ok(
      answers.every(
        ({ status, body }) =>
          status === 201 || (status === 429 && body.code === 'spend_limit_reached' && body.limit === 'user_monthly')
      ),
      'every other chat was refused by the limit'
    )
    const limits = await (await fetch(`${a.baseUrl}/api/account/limits/`, { headers })).json()
    t.equal(limits.month_spent, COVERED * COST, 'the month spent exactly the limit')
    t.equal((await state.user('capped')).tokens, (CHATS - COVERED) * COST)
    t.same(await state.ledgerMismatches(), [], 'the balance is the sum of the ledger')
    t.equal(await state.countChats(), COVERED, 'no chat past the limit')
  })
}
