import { PassThrough } from 'node:stream'
import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { runCli } from '../src/cli/run.js'
import { Collected, signUpAdmin } from './admin-helper.js'
import { assertProblem, build, PASSWORD, register, TEST_ENV } from './helper.js'
import { redisPrefixes, testRedisUrl } from './limits/redis-helper.js'

const WRONG_PASSWORD = 'not the password'
const ATTACKER = '203.0.113.66'
const ELSEWHERE = '198.51.100.7'
/** Rate limits on, with a lockout after three failures. */
const LIMITED = { RATE_LIMIT: 'on', RATE_LIMIT_LOGIN_FAILURES: '3' }

function logIn(app: App, username: string, password: string, address = ATTACKER) {
  return app.inject({ method: 'POST', url: '/api/login/', remoteAddress: address, payload: { username, password } })
}

async function lockOut(t: Test, app: App, username: string, address = ATTACKER) {
  for (let attempt = 0; attempt < 3; attempt++) await logIn(app, username, WRONG_PASSWORD, address)
  t.equal((await logIn(app, username, PASSWORD, address)).statusCode, 429, `${username} is locked out from ${address}`)
}

function unlockRoute(app: App, headers: Record<string, string>, username: string) {
  return app.inject({ method: 'POST', url: `/api/admin/users/${username}/unlock/`, headers })
}

function changePassword(app: App, headers: Record<string, string>, oldPassword: string) {
  const payload = { old_password: oldPassword, new_password: PASSWORD }
  return app.inject({ method: 'POST', url: '/api/password/', headers, payload })
}

t.test(
  'an administrator unlocks a user: their failed logins from every address and wrong passwords are cleared',
  async (t) => {
    const { app } = await build(t, LIMITED)
    const admin = await signUpAdmin(app)
    await register(app, 'alice')
    await register(app, 'bob')
    const alice = await logIn(app, 'alice', PASSWORD, '192.0.2.1')
    const aliceHeaders = { authorization: `Bearer ${alice.json().access}` }
    for (let attempt = 0; attempt < 3; attempt++) await changePassword(app, aliceHeaders, WRONG_PASSWORD)
    t.equal((await changePassword(app, aliceHeaders, PASSWORD)).statusCode, 429, 'her password changes are locked too')
    await lockOut(t, app, 'alice', ATTACKER)
    await lockOut(t, app, 'alice', ELSEWHERE)
    await lockOut(t, app, 'bob', ATTACKER)

    const response = await unlockRoute(app, admin.headers, 'ALICE')
    t.equal(response.statusCode, 200)
    t.same(response.json(), { username: 'alice', cleared_counts: 3 })
    t.equal((await logIn(app, 'alice', PASSWORD, ATTACKER)).statusCode, 200)
    t.equal((await logIn(app, 'alice', PASSWORD, ELSEWHERE)).statusCode, 200)
    t.equal((await changePassword(app, aliceHeaders, PASSWORD)).statusCode, 200)
    t.equal((await logIn(app, 'bob', PASSWORD, ATTACKER)).statusCode, 429, 'bob stays locked out')
    t.same((await unlockRoute(app, admin.headers, 'alice')).json(), { username: 'alice', cleared_counts: 0 })
  }
)

t.test('unlocking an unknown user is 404 user_not_found', async (t) => {
  const { app } = await build(t, LIMITED)
  const admin = await signUpAdmin(app)
  const response = await unlockRoute(app, admin.headers, 'nobody')
  assertProblem(t, response, { status: 404, code: 'user_not_found', instance: '/api/admin/users/nobody/unlock/' })
})

t.test('while Redis cannot be reached, unlocking is 503 limits_unavailable', async (t) => {
  const { app } = await build(t, { ...LIMITED, REDIS_URL: 'redis://127.0.0.1:1' })
  const admin = await signUpAdmin(app)
  await register(app, 'alice')
  const response = await unlockRoute(app, admin.headers, 'alice')
  assertProblem(t, response, { status: 503, code: 'limits_unavailable', instance: '/api/admin/users/alice/unlock/' })
  t.equal(response.headers['retry-after'], '2')
})

async function cli(env: Record<string, string>, argv: string[]) {
  const stdout = new Collected()
  const stderr = new Collected()
  const io = { env: { ...TEST_ENV, ...env }, stdin: new PassThrough(), stdout, stderr }
  return { code: await runCli(argv, io), stdout: stdout.text, stderr: stderr.text }
}

t.test('the unlock command without REDIS_URL says the counts are out of its reach, and fails', async (t) => {
  const { app, databaseUrl } = await build(t, LIMITED)
  await register(app, 'alice')
  t.same(await cli({ DATABASE_URL: databaseUrl }, ['unlock', 'alice']), {
    code: 1,
    stdout: '',
    stderr:
      'error: without REDIS_URL the failed logins are counted in the memory of the server process, which this ' +
      'command cannot reach; ask the server: POST /api/admin/users/alice/unlock/ as an administrator (or restart it)\n'
  })
})

t.test('with Redis, the unlock command lifts a lockout that the running server sees at once', async (t) => {
  const url = testRedisUrl(t)
  if (!url) return
  const env = { ...LIMITED, REDIS_URL: url, REDIS_KEY_PREFIX: redisPrefixes(t, url).fresh().keyPrefix }
  const { app, databaseUrl } = await build(t, env)
  await register(app, 'alice')
  await lockOut(t, app, 'alice', ATTACKER)
  await lockOut(t, app, 'alice', ELSEWHERE)
  t.same(await cli({ ...env, DATABASE_URL: databaseUrl }, ['unlock', 'Alice']), {
    code: 0,
    stdout: 'unlocked alice: cleared 2 failed-login counts\n',
    stderr: ''
  })
  t.equal((await logIn(app, 'alice', PASSWORD, ATTACKER)).statusCode, 200)
  t.equal((await logIn(app, 'alice', PASSWORD, ELSEWHERE)).statusCode, 200)
  t.match(await cli({ ...env, DATABASE_URL: databaseUrl }, ['unlock', 'nobody']), {
    code: 1,
    stderr: 'error: No user named "nobody" was found\n'
  })
})

t.test('with Redis, the admin route unlocks across instances', async (t) => {
  const url = testRedisUrl(t)
  if (!url) return
  const env = { ...LIMITED, REDIS_URL: url, REDIS_KEY_PREFIX: redisPrefixes(t, url).fresh().keyPrefix }
  const first = await build(t, env)
  const second = await build(t, { ...env, DATABASE_URL: first.databaseUrl })
  const admin = await signUpAdmin(first.app)
  await register(first.app, 'alice')
  await lockOut(t, first.app, 'alice')
  t.same((await unlockRoute(second.app, admin.headers, 'alice')).json(), { username: 'alice', cleared_counts: 1 })
  t.equal((await logIn(first.app, 'alice', PASSWORD)).statusCode, 200)
})
