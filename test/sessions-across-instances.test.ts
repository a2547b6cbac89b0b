import t, { type Test } from 'tap'
import { Collected } from './admin-helper.js'
import { runCli } from '../src/cli/run.js'
import { PASSWORD, TEST_ENV } from './helper.js'
import { instancePairCanRun, startInstancePair } from './instance-pair.js'

/** Fresh sessions per kind of revocation: each is revoked on A and tried on B straight after A has answered. */
const ROUNDS = 20
const OTHER_PASSWORD = 'another horse battery staple'

type Headers = Record<string, string>

async function call(baseUrl: string, method: string, path: string, body?: unknown, headers: Headers = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: response.status, body: await response.json() }
}

const bearer = (access: string) => ({ authorization: `Bearer ${access}` })

async function logIn(baseUrl: string, username: string, password = PASSWORD) {
  const { status, body } = await call(baseUrl, 'POST', '/api/login/', { username, password })
  if (status !== 200) throw new Error(`login ${username} failed: ${JSON.stringify(body)}`)
  return body as { access: string; refresh: string }
}

/** Registers `username` on A and makes them an administrator with the operators' `create-admin --promote`. */
async function adminHeaders(baseUrl: string, databaseUrl: string, username = 'root'): Promise<Headers> {
  await call(baseUrl, 'POST', '/api/register/', { username, password: PASSWORD })
  const out = new Collected()
  const env = { ...TEST_ENV, DATABASE_URL: databaseUrl }
  const code = await runCli(['create-admin', '--promote', username], {
    env,
    stdin: process.stdin,
    stdout: out,
    stderr: out
  })
  if (code !== 0) throw new Error(`create-admin failed: ${out.text}`)
  return bearer((await logIn(baseUrl, username)).access)
}

/** B's view of a session before it is revoked on A: both its tokens are accepted. */
async function acceptedOnB(b: string, tokens: { access: string; refresh: string }) {
  const balance = await call(b, 'GET', '/api/tokenbalance/', undefined, bearer(tokens.access))
  const verified = await call(b, 'POST', '/api/token/verify/', { token: tokens.refresh })
  return balance.status === 200 && verified.status === 200
}

/** B's very next requests after A answered: the access token and the refresh token are refused, with the code. */
async function refusedOnB(b: string, tokens: { access: string; refresh: string }) {
  const balance = await call(b, 'GET', '/api/tokenbalance/', undefined, bearer(tokens.access))
  const refreshed = await call(b, 'POST', '/api/token/refresh/', { refresh: tokens.refresh })
  return [balance, refreshed].every(({ status, body }) => status === 401 && body.code === 'token_not_valid')
}

/** Runs `ROUNDS` rounds of: a fresh session, accepted on B, revoked on A, refused on B; counts each outcome. */
async function revokeRounds(
  t: Test,
  b: string,
  round: (index: number) => Promise<{ tokens: { access: string; refresh: string }; revoke: () => Promise<number> }>
) {
  const outcomes = { acceptedBefore: 0, revokedOnA: 0, refusedOnB: 0 }
  for (let index = 0; index < ROUNDS; index++) {
    const { tokens, revoke } = await round(index)
    if (await acceptedOnB(b, tokens)) outcomes.acceptedBefore++
    if ((await revoke()) === 200) outcomes.revokedOnA++
    if (await refusedOnB(b, tokens)) outcomes.refusedOnB++
  }
  t.same(
    outcomes,
    { acceptedBefore: ROUNDS, revokedOnA: ROUNDS, refusedOnB: ROUNDS },
    'every round: accepted on B, revoked on A, then refused on B'
  )
}

if (instancePairCanRun('sessions across two instances')) {
  // Two instances as several run in production, on one PostgreSQL database and one Redis, shared by the tests below
  // (each with a user of its own): starting a pair costs seconds of CPU.
  const pair = await startInstancePair(t)
  const [a, b, databaseUrl] = [pair.a.baseUrl, pair.b.baseUrl, pair.databaseUrl]

  t.test("a logout on A refuses the session's access and refresh tokens on B's very next request", async (t) => {
    await call(a, 'POST', '/api/register/', { username: 'alice', password: PASSWORD })
    await revokeRounds(t, b, async () => {
      const tokens = await logIn(a, 'alice')
      const revoke = async () =>
        (await call(a, 'POST', '/api/logout/', { refresh: tokens.refresh }, bearer(tokens.access))).status
      return { tokens, revoke }
    })
  })

  t.test("a password change on A refuses the user's other sessions on B's very next request", async (t) => {
    await call(a, 'POST', '/api/register/', { username: 'bob', password: PASSWORD })
    const passwords = [PASSWORD, OTHER_PASSWORD]
    await revokeRounds(t, b, async (index) => {
      const [current, next] = index % 2 === 0 ? passwords : [...passwords].reverse()
      const changing = await logIn(a, 'bob', current)
      const tokens = await logIn(a, 'bob', current)
      const revoke = async () =>
        (
          await call(
            a,
            'POST',
            '/api/password/',
            { old_password: current, new_password: next },
            bearer(changing.access)
          )
        ).status
      return { tokens, revoke }
    })
  })

  t.test("a deactivation on A refuses the user's sessions on B's very next request", async (t) => {
    await call(a, 'POST', '/api/register/', { username: 'carol', password: PASSWORD })
    const admin = await adminHeaders(a, databaseUrl)
    const setActive = async (isActive: boolean) =>
      (await call(a, 'PATCH', '/api/admin/users/carol/', { is_active: isActive }, admin)).status
    await revokeRounds(t, b, async () => {
      if ((await setActive(true)) !== 200) throw new Error('reactivating carol failed')
      const tokens = await logIn(a, 'carol')
      return { tokens, revoke: () => setActive(false) }
    })
  })
}
