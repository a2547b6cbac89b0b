import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { App } from '../src/app.js'
import { adminAndUser, setActive } from './admin-helper.js'
import { build, PASSWORD, signUp } from './helper.js'
import type { StoredState } from './stored-state.js'

const TRIALS = 5
const ATTACKERS = 4
const NEW_PASSWORD = 'a brand new passphrase'
/** The per-account cap on hashes in flight would refuse most of the attacking logins; here the race is the point. */
const UNCAPPED = { ARGON2_PER_ACCOUNT: '100' }

/**
 * Logins as alice from `ATTACKERS` loops, each starting its next login when the last has answered. Once every loop has
 * logged in once (so that logins are in flight all the time), `action` starts; when it has answered the loops stop,
 * and the logins still in flight answer. Returns the action's answer and the refresh tokens of every login that
 * succeeded.
 */
async function loginsAround(app: App, password: string, action: () => Promise<LightMyRequestResponse>) {
  const refreshTokens: string[] = []
  let startAction = () => {}
  const started = new Promise<void>((resolve) => (startAction = resolve))
  const answer = started.then(action)
  let stopped = false
  void answer.finally(() => (stopped = true))
  async function attacker() {
    while (!stopped) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/login/',
        payload: { username: 'alice', password }
      })
      if (response.statusCode === 200) refreshTokens.push(response.json().refresh)
      if (refreshTokens.length >= ATTACKERS) startAction()
    }
  }
  await Promise.all(Array.from({ length: ATTACKERS }, attacker))
  return { answer: await answer, refreshTokens }
}

async function refreshStatuses(app: App, refreshTokens: string[]) {
  const responses = await Promise.all(
    refreshTokens.map((refresh) => app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh } }))
  )
  return responses.map((response) => response.statusCode)
}

async function liveSessionIds(state: StoredState, usernameKey: string): Promise<string[]> {
  const { id } = await state.user(usernameKey)
  return (await state.sessions())
    .filter(({ userId, revokedAt }) => userId === id && revokedAt === null)
    .map((s) => s.id)
}

function sessionIdOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sid
}

t.test('no login with the old password outlives a password change it raced', async (t) => {
  for (let trial = 1; trial <= TRIALS; trial++) {
    const { app, state } = await build(t, UNCAPPED)
    const alice = await signUp(app)
    const { answer, refreshTokens } = await loginsAround(app, PASSWORD, () =>
      app.inject({
        method: 'POST',
        url: '/api/password/',
        headers: alice.headers,
        payload: { old_password: PASSWORD, new_password: NEW_PASSWORD }
      })
    )

    t.equal(answer.statusCode, 200, `trial ${trial}: the password changed`)
    t.same(
      await refreshStatuses(app, refreshTokens),
      refreshTokens.map(() => 401),
      `trial ${trial}: none of the ${refreshTokens.length} logins with the old password can refresh`
    )
    t.same(
      await liveSessionIds(state, 'alice'),
      [sessionIdOf(alice.refresh)],
      `trial ${trial}: only the login that changed the password is live`
    )
  }
})

t.test('no login that raced a deactivation comes back to life on reactivation', async (t) => {
  for (let trial = 1; trial <= TRIALS; trial++) {
    const { app, state } = await build(t, UNCAPPED)
    const { admin } = await adminAndUser(app)
    const { answer, refreshTokens } = await loginsAround(app, PASSWORD, () =>
      setActive(app, admin.headers, 'alice', false)
    )
    t.equal(answer.statusCode, 200, `trial ${trial}: alice was deactivated`)

    t.equal((await setActive(app, admin.headers, 'alice', true)).statusCode, 200, `trial ${trial}: and reactivated`)
    t.same(
      await refreshStatuses(app, refreshTokens),
      refreshTokens.map(() => 401),
      `trial ${trial}: none of the ${refreshTokens.length} logins of the race can refresh`
    )
    t.same(await liveSessionIds(state, 'alice'), [], `trial ${trial}: alice has no live login`)
  }
})
