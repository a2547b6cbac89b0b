import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { App, AppOverrides } from '../../src/app.js'
import { assertProblem, build, PASSWORD, providerFrom, register, signUp } from '../helper.js'
import { scratchDirectory } from '../scratch-directory.js'

/**
 * How the two apps of one test get limits they share, and no other test's: one limits object handed to both, or
 * settings that point each at the same shared store (each app then has its own Redis client on one key prefix).
 */
export type SharedLimits = () => { env: Record<string, string>; overrides: Pick<AppOverrides, 'limits'> }

/** Two apps on one database and one set of limits, as two instances behind a load balancer. */
async function twoInstances(t: Test, shared: SharedLimits, env: Record<string, string>) {
  const limits = shared()
  let answer = () => {}
  const answered = new Promise<void>((resolve) => (answer = resolve))
  let asked = 0
  const provider = providerFrom('held', async () => {
    asked += 1
    // Bounded, so that a chat the cap failed to refuse ends the test with a failure rather than a hang.
    await Promise.race([answered, sleep(2000)])
    return { text: 'a reply', model: 'held', usage: null }
  })
  const sharedEnv = { ...env, ...limits.env, DATABASE_URL: join(scratchDirectory(t), 'shared.sqlite') }
  const first = await build(t, sharedEnv, { ...limits.overrides, provider })
  const second = await build(t, sharedEnv, { ...limits.overrides, provider })
  return { first, second, answer, asked: () => asked }
}

function chat(app: App, headers: Record<string, string>) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'Hello' } })
}

/**
 * What instances on shared limits promise: the routes only ever count through the port, so whatever one instance
 * counts, the other sees.
 */
export function sharedLimitsSuite(t: Test, shared: SharedLimits) {
  t.test('a reply in flight on one instance counts against the per-user cap on the other', async (t) => {
    const { first, second, answer, asked } = await twoInstances(t, shared, { AI_MAX_CONCURRENT_PER_USER: '1' })
    const alice = await signUp(first.app, 'alice')
    const inFlight = chat(first.app, alice.headers)
    while (asked() < 1) await sleep(5)

    const refused = await chat(second.app, alice.headers)
    assertProblem(t, refused, { status: 429, code: 'too_many_chats_in_flight', instance: '/api/chat_msg/' })
    t.equal(await first.state.countChats(), 1, 'the refused message left no chat row')

    answer()
    t.equal((await inFlight).statusCode, 201)
    t.equal((await chat(second.app, alice.headers)).statusCode, 201, 'the slot is free once the reply is done')
  })

  t.test('failed logins on one instance count against the limit on the other', async (t) => {
    const { first, second } = await twoInstances(t, shared, { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_FAILURES: '3' })
    await register(first.app, 'alice')
    const logIn = (app: App, password: string) =>
      app.inject({ method: 'POST', url: '/api/login/', payload: { username: 'alice', password } })
    for (const app of [first.app, second.app, first.app]) t.equal((await logIn(app, 'wrong password')).statusCode, 401)

    const response = await logIn(second.app, PASSWORD)
    assertProblem(t, response, { status: 429, code: 'rate_limited', instance: '/api/login/' })
  })

  t.test('registrations on one instance count against the limit on the other', async (t) => {
    const { first, second } = await twoInstances(t, shared, { RATE_LIMIT: 'on', RATE_LIMIT_REGISTRATIONS: '2' })
    await register(first.app, 'alice')
    await register(second.app, 'bob')
    const response = await first.app.inject({
      method: 'POST',
      url: '/api/register/',
      payload: { username: 'carol', password: PASSWORD }
    })
    assertProblem(t, response, { status: 429, code: 'rate_limited', instance: '/api/register/' })
  })
}
