import { setTimeout } from 'node:timers/promises'
import t from 'tap'
import type { App } from '../src/app.js'
import { HASHES_AT_ONCE } from '../src/modules/auth/passwords.js'
import { assertProblem, build, PASSWORD, register } from './helper.js'
import type { StoredState } from './stored-state.js'

/** Hashes slow enough (about 80 ms here) that every request of a burst arrives while the first is hashing. */
const SLOW_HASHES = { ARGON2_TIME_COST: '200' }

function logIn(app: App, username: string) {
  return app.inject({ method: 'POST', url: '/api/login/', payload: { username, password: PASSWORD } })
}

async function sessionsOf(state: StoredState, username: string): Promise<number> {
  const { id } = await state.user(username)
  return (await state.sessions()).filter(({ userId }) => userId === id).length
}

t.test('an account gets ARGON2_PER_ACCOUNT hashes in flight; its other logins are 503 and store nothing', async (t) => {
  const logLines: string[] = []
  const logStream = { write: (line: string) => logLines.push(line) }
  const { app, state } = await build(t, { ...SLOW_HASHES, ARGON2_PER_ACCOUNT: '2', LOG_LEVEL: 'warn' }, { logStream })
  await register(app, 'alice')
  await register(app, 'bob')

  const [bob, ...alice] = await Promise.all([
    logIn(app, 'bob'),
    ...Array.from({ length: 6 }, () => logIn(app, 'alice'))
  ])

  t.same(
    alice.map((response) => response.statusCode),
    [200, 200, 503, 503, 503, 503]
  )
  const refused = assertProblem(t, alice[2]!, { status: 503, code: 'server_busy', instance: '/api/login/' })
  t.match(refused.detail, /too busy to check passwords/)
  t.equal(alice[2]!.headers['retry-after'], '2', 'Retry-After is the wait deadline, ARGON2_QUEUE_WAIT')
  t.equal(bob.statusCode, 200, 'another account is not refused')
  t.equal(await sessionsOf(state, 'alice'), 2, 'only the two logins that were checked started a session')
  t.same(logLines, [], 'a refusal is not logged as a failure of the service')
})

t.test('past ARGON2_QUEUE_SIZE waiting hashes, logins, registrations and password changes are 503', async (t) => {
  const { app, state } = await build(t, { ...SLOW_HASHES, ARGON2_QUEUE_SIZE: '1', ARGON2_QUEUE_WAIT: '5s' })
  const usernames = Array.from({ length: HASHES_AT_ONCE + 1 }, (_, index) => `user${index}`)
  for (const username of usernames) await register(app, username)
  const { access } = (await logIn(app, 'user0')).json()

  const admitted = usernames.map((username) => logIn(app, username))
  // A bounded wait for those logins to reach the queue; each of their hashes takes far longer.
  await setTimeout(20)
  const refused = await Promise.all([
    logIn(app, 'user0'),
    app.inject({ method: 'POST', url: '/api/register/', payload: { username: 'carol', password: PASSWORD } }),
    app.inject({
      method: 'POST',
      url: '/api/password/',
      headers: { authorization: `Bearer ${access}` },
      payload: { old_password: PASSWORD, new_password: 'a brand new passphrase' }
    })
  ])

  for (const [index, instance] of ['/api/login/', '/api/register/', '/api/password/'].entries()) {
    const response = refused[index]!
    assertProblem(t, response, { status: 503, code: 'server_busy', instance })
    t.equal(response.headers['retry-after'], '5')
  }
  t.same(
    (await Promise.all(admitted)).map((response) => response.statusCode),
    usernames.map(() => 200),
    'the hashes that fitted all ran'
  )
  t.equal((await state.users()).filter(({ usernameKey }) => usernameKey === 'carol').length, 0, 'no carol')
  t.equal((await logIn(app, 'user0')).statusCode, 200, 'the old password still works: nothing changed')
})
