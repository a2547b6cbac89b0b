import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { USAGE } from '../src/cli/arguments.js'
import { createAdmin, grant, listUsers, verifyLedger } from '../src/cli/commands.js'
import { runCli } from '../src/cli/run.js'
import { createStore } from '../src/db/create-store.js'
import { usernameColumns } from '../src/modules/auth/usernames.js'
import { Collected, signUpAdmin } from './admin-helper.js'
import { build, login, register, signUp, TEST_ENV, testConfig } from './helper.js'
import { openStoredState, type StoredState } from './stored-state.js'
import { scratchDirectory } from './scratch-directory.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'src/cli/bin.js')
const ADMIN_PASSWORD = 'a long and secret admin password'
/**
 * The environment of a spawned CLI. tsx compiles it with other line mappings than tap's loader, so its coverage
 * would be merged into the report against the wrong lines; tap's process tracker is told to collect none.
 */
const SPAWN_ENV = { ...process.env, ...TEST_ENV, _TAPJS_PROCESSINFO_COVERAGE_: '0' }

/** Runs a command in-process against the database file, as an operator would beside the running service. */
async function cli(databaseUrl: string, argv: string[], env: Record<string, string> = {}, stdin = new PassThrough()) {
  const stdout = new Collected()
  const stderr = new Collected()
  const code = await runCli(argv, { env: { ...TEST_ENV, DATABASE_URL: databaseUrl, ...env }, stdin, stdout, stderr })
  return { code, stdout: stdout.text, stderr: stderr.text }
}

function tempDatabase(t: Test) {
  return join(scratchDirectory(t), 'cli.sqlite')
}

/** A terminal on stdin: raw mode is recorded, and `typed` arrives as keystrokes once a prompt has been written. */
function fakeTerminal(stderr: Collected, typed: string[]) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[] })
  Object.assign(stdin, { setRawMode: (mode: boolean) => stdin.rawModes.push(mode) })
  const write = stderr.write.bind(stderr)
  stderr.write = ((chunk: string) => {
    const written = write(chunk)
    if (chunk.endsWith(': ')) setImmediate(() => stdin.write(typed.shift() ?? ''))
    return written
  }) as typeof stderr.write
  return stdin
}

t.test('create-admin creates an administrator with the starting balance and a signup ledger row', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  const result = await cli(databaseUrl, ['create-admin', 'Root'], { ADMIN_PASSWORD })
  t.same(result, { code: 0, stdout: 'created the administrator Root with 4000 tokens\n', stderr: '' })
  t.match(await state.users(), [{ username: 'Root', tokens: 4000, isActive: true, isAdmin: true }])
  t.match(await state.ledger('root'), [{ delta: 4000, reason: 'signup', balanceAfter: 4000 }])
  const { access } = await login(app, 'root', ADMIN_PASSWORD)
  const users = await app.inject({
    method: 'GET',
    url: '/api/admin/users/',
    headers: { authorization: `Bearer ${access}` }
  })
  t.equal(users.statusCode, 200, 'the new administrator uses the admin API')
})

async function registeredAt(state: StoredState, usernameKey: string): Promise<string> {
  return new Date((await state.user(usernameKey)).createdAt).toISOString()
}

t.test('create-admin refuses an existing user without --promote: exit 1, why, and nothing changed', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await register(app, 'alice')
  const result = await cli(databaseUrl, ['create-admin', 'Alice'], { ADMIN_PASSWORD })
  t.same(result, {
    code: 1,
    stdout: '',
    stderr:
      `error: the user alice already exists (registered ${await registeredAt(state, 'alice')}); if that account is the one ` +
      'to make an administrator, run again with --promote\n'
  })
  t.match(await state.users(), [{ isAdmin: false }], 'alice is no administrator')
  t.ok(await login(app, 'alice'), 'her password is unchanged')
})

t.test('create-admin --promote promotes an existing user, printing when the account was made', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await register(app, 'alice')
  const result = await cli(databaseUrl, ['create-admin', 'ALICE', '--promote'])
  t.same(result, {
    code: 0,
    stdout: `promoted the existing user alice (registered ${await registeredAt(state, 'alice')}) to administrator\n`,
    stderr: ''
  })
  t.match((await state.users())[0], { isAdmin: true })
  t.ok(await login(app, 'alice'), 'the old password still works')
})

t.test('create-admin --promote never creates a user', async (t) => {
  const { state, databaseUrl } = await build(t)
  const result = await cli(databaseUrl, ['create-admin', 'root', '--promote'], { ADMIN_PASSWORD })
  t.same(result, {
    code: 1,
    stdout: '',
    stderr: 'error: there is no user root to promote; leave out --promote to create one\n'
  })
  t.equal((await state.users()).length, 0)
})

t.test('create-admin says so when the user is already an administrator, or is deactivated', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await signUpAdmin(app, 'root')
  t.same(await cli(databaseUrl, ['create-admin', 'root']), {
    code: 0,
    stdout: 'root is already an administrator; nothing changed\n',
    stderr: ''
  })
  await register(app, 'bob')
  await state.tamper.updateUser('bob', { isActive: false })
  const promoted = await cli(databaseUrl, ['create-admin', 'bob', '--promote'])
  t.match(promoted.stdout, /\nnote: bob is deactivated and cannot log in until reactivated\n$/)
})

t.test('create-admin fails, and promotes nobody, when the name is registered while it runs', async (t) => {
  const { app, state } = await build(t)
  await register(app, 'root')
  const racing = { ...app.store, findAccount: async () => undefined }
  const out = new Collected()
  const creating = createAdmin({ store: racing, config: testConfig(), out }, 'root', {
    promote: false,
    readPassword: async () => ADMIN_PASSWORD
  })
  await t.rejects(creating, { message: 'someone registered root just now; nothing changed' })
  t.match((await state.users())[0], { isAdmin: false })
})

t.test('create-admin refuses an invalid username or password with exit code 2', async (t) => {
  const databaseUrl = tempDatabase(t)
  const badName = await cli(databaseUrl, ['create-admin', 'a b'], { ADMIN_PASSWORD })
  t.equal(badName.code, 2)
  t.match(badName.stderr, /^error: "a b" is not a valid username: 2 to 150 letters/)
  const badPassword = await cli(databaseUrl, ['create-admin', 'root'], { ADMIN_PASSWORD: 'short' })
  t.equal(badPassword.code, 2)
  t.match(badPassword.stderr, /^error: the password must be 8 to 1024 characters\n/)
  const noPassword = await cli(databaseUrl, ['create-admin', 'root'])
  t.equal(noPassword.code, 2, 'without ADMIN_PASSWORD and without a terminal')
  t.match(noPassword.stderr, /set ADMIN_PASSWORD, or run in a terminal/)
})

t.test(
  'create-admin refuses a name of mixed scripts or invisible characters, and a look-alike, with exit code 2',
  async (t) => {
    const { app, state, databaseUrl } = await build(t)
    await register(app, 'pop')
    const mixed = await cli(databaseUrl, ['create-admin', 'rооt'], { ADMIN_PASSWORD })
    t.equal(mixed.code, 2)
    t.match(mixed.stderr, /^error: "rооt" is not a valid username: it must not mix Latin, Cyrillic: use one script/)
    const filler = await cli(databaseUrl, ['create-admin', 'root\u3164'], { ADMIN_PASSWORD })
    t.equal(filler.code, 2)
    t.match(filler.stderr, /is not a valid username: it must not contain the invisible character U\+1160\n/)
    const lookalike = await cli(databaseUrl, ['create-admin', 'рор'], { ADMIN_PASSWORD })
    t.equal(lookalike.code, 2)
    t.match(
      lookalike.stderr,
      /^error: "рор" looks like the username of an existing user; promote that user or choose another\n/
    )
    t.same(
      (await state.users()).map(({ username, isAdmin }) => ({ username, isAdmin })),
      [{ username: 'pop', isAdmin: false }]
    )
  }
)

t.test('create-admin promotes an account whose name the rules now refuse', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  const created = await app.store.createUser({
    ...usernameColumns('root\u1160'),
    passwordHash: 'h',
    initialTokens: 0,
    now: Date.now()
  })
  t.match(created, { created: true })
  const promoted = await cli(databaseUrl, ['create-admin', 'ROOT\u3164', '--promote'])
  t.equal(promoted.code, 0)
  t.match(promoted.stdout, /^promoted the existing user root\u1160 /)
  t.same(
    (await state.users()).map(({ isAdmin }) => ({ isAdmin })),
    [{ isAdmin: true }]
  )
})

t.test('create-admin asks twice for the password at a terminal, without echo', async (t) => {
  const databaseUrl = tempDatabase(t)
  const stderr = new Collected()
  const stdin = fakeTerminal(stderr, [`${ADMIN_PASSWORD}x\u007f\r`, `${ADMIN_PASSWORD}\n`])
  const stdout = new Collected()
  const env = { ...TEST_ENV, DATABASE_URL: databaseUrl }
  const code = await runCli(['create-admin', 'root'], { env, stdin, stdout, stderr })
  t.equal(code, 0)
  t.equal(stderr.text, 'Password for the new administrator: \nRepeat the password: \n', 'nothing typed is echoed')
  t.same(stdin.rawModes, [true, false, true, false])
  t.equal(stdout.text, 'created the administrator root with 4000 tokens\n')
})

t.test('create-admin at a terminal stops on different passwords or Ctrl-C', async (t) => {
  const databaseUrl = tempDatabase(t)
  for (const [typed, code, message] of [
    [['one password\r', 'another one\r'], 2, 'error: the passwords do not match'],
    [['half\u0003'], 1, 'error: cancelled']
  ] as const) {
    const stderr = new Collected()
    const stdin = fakeTerminal(stderr, [...typed])
    const env = { ...TEST_ENV, DATABASE_URL: databaseUrl }
    t.equal(await runCli(['create-admin', 'root'], { env, stdin, stdout: new Collected(), stderr }), code)
    t.match(stderr.text, message)
  }
  t.same(await cli(databaseUrl, ['users']), { code: 0, stdout: '0 users\n', stderr: '' }, 'nobody was created')
})

const NEW_PASSWORD = 'a brand new and long password'

t.test('reset-password sets the new password and ends every login of the user, and only theirs', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  const alice = await signUp(app, 'alice')
  await login(app, 'alice')
  const bob = await signUp(app, 'bob')
  const result = await cli(databaseUrl, ['reset-password', 'ALICE'], { NEW_PASSWORD })
  t.same(result, { code: 0, stdout: 'set a new password for alice; ended 2 logins\n', stderr: '' })
  const balance = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
  t.equal((await balance(alice.headers)).statusCode, 401, 'her access token stopped working')
  const refreshed = await app.inject({
    method: 'POST',
    url: '/api/token/refresh/',
    payload: { refresh: alice.refresh }
  })
  t.equal(refreshed.statusCode, 401, 'and her refresh token')
  await t.rejects(login(app, 'alice'), 'the old password is refused')
  t.ok(await login(app, 'alice', NEW_PASSWORD), 'the new one logs in')
  t.equal((await balance(bob.headers)).statusCode, 200, "bob's login goes on")
  t.match(await state.user('alice'), { credentialsVersion: 1 })
})

t.test('reset-password asks twice at a terminal, and refuses a weak password or an unknown user', async (t) => {
  const { app, databaseUrl } = await build(t)
  await register(app, 'alice')
  const stderr = new Collected()
  const stdin = fakeTerminal(stderr, [`${NEW_PASSWORD}\n`, `${NEW_PASSWORD}\n`])
  const stdout = new Collected()
  const env = { ...TEST_ENV, DATABASE_URL: databaseUrl }
  t.equal(await runCli(['reset-password', 'alice'], { env, stdin, stdout, stderr }), 0)
  t.equal(stderr.text, 'New password for alice: \nRepeat the password: \n')
  t.equal(stdout.text, 'set a new password for alice; ended 0 logins\n')
  t.ok(await login(app, 'alice', NEW_PASSWORD))

  const weak = await cli(databaseUrl, ['reset-password', 'alice'], { NEW_PASSWORD: 'short' })
  t.match(weak, { code: 2, stderr: /^error: the password must be 8 to 1024 characters\n/ })
  t.ok(await login(app, 'alice', NEW_PASSWORD), 'the password did not change')
  t.same(await cli(databaseUrl, ['reset-password', 'nobody'], { NEW_PASSWORD }), {
    code: 1,
    stdout: '',
    stderr: 'error: there is no user nobody\n'
  })
  t.match(await cli(databaseUrl, ['reset-password', 'alice']), {
    code: 2,
    stderr: /set NEW_PASSWORD, or run in a terminal/
  })
})

t.test('reset-password of a deactivated user says they still cannot log in', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await register(app, 'alice')
  await state.tamper.updateUser('alice', { isActive: false })
  const result = await cli(databaseUrl, ['reset-password', 'alice'], { NEW_PASSWORD })
  t.equal(
    result.stdout,
    'set a new password for alice; ended 0 logins\nnote: alice is deactivated and cannot log in until reactivated\n'
  )
})

t.test('grant adds tokens with a ledger row that has the note and no administrator', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await signUp(app, 'alice')
  const result = await cli(databaseUrl, ['grant', 'alice', '250', '--note', 'Support ticket 12'])
  t.same(result, { code: 0, stdout: 'granted 250 tokens to alice; balance now 4250\n', stderr: '' })
  t.match((await state.ledger('alice')).at(-1), {
    delta: 250,
    reason: 'grant',
    actorId: null,
    note: 'Support ticket 12',
    balanceAfter: 4250
  })
  t.same(await state.ledgerMismatches(), [])
})

t.test('grant with a negative amount debits, and refuses to go below zero', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await signUp(app, 'alice')
  const debit = await cli(databaseUrl, ['grant', '--note=Chargeback', 'alice', '-1000'])
  t.same(debit, { code: 0, stdout: 'debited 1000 tokens from alice; balance now 3000\n', stderr: '' })
  t.match((await state.ledger('alice')).at(-1), {
    delta: -1000,
    reason: 'debit',
    note: 'Chargeback',
    balanceAfter: 3000
  })

  const tooMuch = await cli(databaseUrl, ['grant', 'alice', '-3001'])
  t.same(tooMuch, {
    code: 1,
    stdout: '',
    stderr: 'error: The balance of 3000 tokens does not cover a debit of 3001 tokens; nothing was changed\n'
  })
  t.equal((await state.user('alice')).tokens, 3000)
})

t.test('grant refuses to take a balance past 2^53 − 1, and grants exactly up to it', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await signUp(app, 'alice')
  const tooMuch = await cli(databaseUrl, ['grant', 'alice', String(Number.MAX_SAFE_INTEGER - 3999)])
  t.same(tooMuch, {
    code: 1,
    stdout: '',
    stderr:
      'error: The balance of 4000 tokens and the 0 tokens reserved for replies in progress leave room for a grant of ' +
      'at most 9007199254736991 tokens; nothing was changed\n'
  })
  t.equal((await state.ledger('alice')).length, 1, 'no ledger row')
  const largest = await cli(databaseUrl, ['grant', 'alice', '9007199254736991'])
  t.same(largest, {
    code: 0,
    stdout: 'granted 9007199254736991 tokens to alice; balance now 9007199254740991\n',
    stderr: ''
  })
  t.equal((await state.user('alice')).tokens, Number.MAX_SAFE_INTEGER)
  t.same(await state.ledgerMismatches(), [])
})

t.test('grant to an unknown user fails with exit code 1', async (t) => {
  const result = await cli(tempDatabase(t), ['grant', 'nobody', '5'])
  t.same(result, { code: 1, stdout: '', stderr: 'error: No user named "nobody" was found\n' })
})

t.test('users prints a table in username order, optionally by prefix', async (t) => {
  const { app, databaseUrl } = await build(t)
  await signUpAdmin(app, 'root')
  await signUp(app, 'alice')
  await register(app, 'Alan')
  await grant({ store: app.store, config: testConfig(), out: new Collected() }, 'alan', 123456, undefined)
  const created = (await app.store.listAccounts({ prefix: '', after: undefined, limit: 10 })).map((account) =>
    new Date(account.createdAt).toISOString()
  )

  const all = await cli(databaseUrl, ['users'])
  t.equal(all.code, 0)
  t.equal(
    all.stdout,
    [
      'username  tokens  active  admin  created',
      `Alan      127456  yes     no     ${created[0]}`,
      `alice       4000  yes     no     ${created[1]}`,
      `root        4000  yes     yes    ${created[2]}`,
      '3 users',
      ''
    ].join('\n')
  )
  const out = new Collected()
  await listUsers({ store: app.store, config: testConfig(), out }, 'ALI')
  t.match(
    out.text,
    /^username +tokens +active +admin +created\nalice +4000 .*\n1 user whose username starts with "ALI"\n$/
  )
})

t.test('verify-ledger passes a consistent ledger with exit code 0', async (t) => {
  const { app, databaseUrl } = await build(t)
  const { headers } = await signUp(app, 'alice')
  await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'Hello' } })
  t.same(await cli(databaseUrl, ['verify-ledger']), {
    code: 0,
    stdout: 'ledger consistent: 1 user and 2 entries checked\n',
    stderr: ''
  })
})

t.test('verify-ledger reports a balance off its ledger and a broken chain of balances', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  const { headers } = await signUp(app, 'alice')
  await signUp(app, 'bob')
  await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'Hello' } })
  await state.tamper.updateUser('bob', { tokens: (await state.user('bob')).tokens + 50 })
  const chatEntry = (await state.ledger()).find(({ reason }) => reason === 'chat')!
  await state.tamper.setBalanceAfter(chatEntry.id, 3950)

  t.same(await cli(databaseUrl, ['verify-ledger']), {
    code: 1,
    stdout: [
      'balance  bob: tokens 4050 but the ledger sums to 4000',
      'chain    alice: ledger entry 3 says balance 3950, but 4000 - 100 is 3900',
      'ledger inconsistent, 2 mismatches: 2 users and 3 entries checked',
      ''
    ].join('\n'),
    stderr: 'error: the ledger does not match the balances\n'
  })
})

t.test('verify-ledger finds a missing ledger row and a grant written without one', async (t) => {
  const { app, state } = await build(t)
  await signUp(app, 'alice')
  await grant({ store: app.store, config: testConfig(), out: new Collected() }, 'alice', 500, 'bonus')
  await state.tamper.deleteLedgerEntry((await state.ledger()).find(({ reason }) => reason === 'signup')!.id)
  const out = new Collected()
  t.equal(await verifyLedger({ store: app.store, config: testConfig(), out }), 2)
  t.match(out.text, /^balance  alice: tokens 4500 but the ledger sums to 500\n/)
  t.match(out.text, /\nchain    alice: ledger entry 2 says balance 4500, but 0 \+ 500 is 500\n/)
})

t.test('verify-ledger reports a chat whose cost is not what its ledger rows charge', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  const { headers } = await signUp(app, 'alice')
  await app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'Hello' } })
  await state.tamper.setChatCost((await state.chats())[0]!.id, 60)

  t.same(await cli(databaseUrl, ['verify-ledger']), {
    code: 1,
    stdout: [
      'charge   alice: chat 1 cost 60 but its ledger rows charge 100',
      'ledger inconsistent, 1 mismatch: 1 user and 2 entries checked',
      ''
    ].join('\n'),
    stderr: 'error: the ledger does not match the balances\n'
  })
})

t.test('verify-ledger describes a chat charged more than its hold', async (t) => {
  // The schema refuses such a row on every backend, so the audit's finding is given rather than planted.
  const { app } = await build(t)
  const overHold = { kind: 'over_hold', username: 'alice', chatId: 7, hold: 64, cost: 70 } as const
  const store = { ...app.store, auditLedger: async () => ({ users: 1, entries: 2, mismatches: [overHold] }) }
  const out = new Collected()
  t.equal(await verifyLedger({ store, config: testConfig(), out }), 1)
  t.equal(
    out.text,
    'hold     alice: chat 7 cost 70, more than its hold 64\nledger inconsistent, 1 mismatch: 1 user and 2 entries checked\n'
  )
})

t.test('bad arguments exit with code 2, a message on stderr, and never open the database', async (t) => {
  const databaseUrl = tempDatabase(t)
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^error: unknown command "frobnicate"\nrun with --help for usage\n$/],
    [['grant', 'alice'], /^error: grant takes <username> <amount>\n/],
    [['grant', 'alice', '5', 'extra'], /^error: grant takes <username> <amount>\n/],
    [['grant', 'alice', '0'], /the amount must be a non-zero whole number of tokens, not "0"/],
    [['grant', 'alice', '1.5'], /not "1.5"/],
    [['grant', 'alice', '1e3'], /not "1e3"/],
    [['grant', 'alice', '-5x'], /not "-5x"/],
    [['grant', 'alice', '9007199254740992'], /not "9007199254740992"/],
    [['grant', 'alice', 'ten'], /not "ten"/],
    [['grant', 'alice', '5', '--note', ' '], /the note must be 1 to 500 characters, not only whitespace/],
    [['grant', 'alice', '5', '--note', 'x'.repeat(501)], /the note must be 1 to 500 characters/],
    [['grant', 'alice', '5', '--note'], /argument missing/],
    [['grant', 'alice', '5', '--note', '-3'], /argument is ambiguous/],
    [['users', '--note', 'x'], /^error: users has no --note option\n/],
    [['grant', 'alice', '5', '--search', 'x'], /grant has no --search option/],
    [['users', '--promote'], /^error: users has no --promote option\n/],
    [['create-admin', 'root', '--promote=yes'], /does not take an argument/],
    [['users', 'alice'], /^error: users takes no arguments\n/],
    [['verify-ledger', '--fix'], /Unknown option '--fix'/],
    [['create-admin'], /^error: create-admin takes <username>\n/]
  ]
  for (const [argv, message] of cases) {
    const result = await cli(databaseUrl, argv)
    t.equal(result.code, 2, argv.join(' '))
    t.match(result.stderr, message, argv.join(' '))
    t.equal(result.stdout, '')
  }
  t.notOk(existsSync(databaseUrl), 'no database was created')
})

t.test('--help prints the usage on stdout; no command prints it on stderr with exit code 2', async (t) => {
  const databaseUrl = tempDatabase(t)
  for (const argv of [['--help'], ['-h'], ['help'], ['grant', '--help']]) {
    t.same(await cli(databaseUrl, argv), { code: 0, stdout: USAGE, stderr: '' }, argv.join(' '))
  }
  t.same(await cli(databaseUrl, []), { code: 2, stdout: '', stderr: USAGE })
})

t.test('a bad environment variable fails with exit code 1 naming it', async (t) => {
  const result = await cli(tempDatabase(t), ['users'], { INITIAL_TOKENS: 'lots' })
  t.equal(result.code, 1)
  t.match(result.stderr, /^error: Invalid environment variable INITIAL_TOKENS="lots"/)
})

t.test('the installed command runs verify-ledger with exit code 0, then 1 once the ledger is corrupted', async (t) => {
  const databaseUrl = tempDatabase(t)
  const env = { ...SPAWN_ENV, DATABASE_URL: databaseUrl, ADMIN_PASSWORD }
  const run = (...argv: string[]) => spawnSync(process.execPath, [BIN, ...argv], { env, encoding: 'utf8' })

  t.match(run('create-admin', 'root'), { status: 0, stdout: 'created the administrator root with 4000 tokens\n' })
  t.match(run('verify-ledger'), { status: 0, stdout: 'ledger consistent: 1 user and 1 entry checked\n', stderr: '' })
  const state = await openStoredState(testConfig({ DATABASE_URL: databaseUrl }).database)
  t.teardown(() => state.close())
  await state.tamper.updateUser('root', { tokens: 1 })
  t.match(run('verify-ledger'), {
    status: 1,
    stdout:
      'balance  root: tokens 1 but the ledger sums to 4000\nledger inconsistent, 1 mismatch: 1 user and 1 entry checked\n',
    stderr: 'error: the ledger does not match the balances\n'
  })
  t.match(run('grant', 'root'), { status: 2, stdout: '', stderr: /^error: grant takes <username> <amount>\n/ })
})

t.test('the installed command reads .env from its working directory, and the real environment wins', async (t) => {
  const folder = scratchDirectory(t)
  writeFileSync(
    join(folder, '.env'),
    `DATABASE_URL=${join(folder, 'cli.sqlite')}\nINITIAL_TOKENS=77\nADMIN_PASSWORD=x\n`
  )
  // The file's ADMIN_PASSWORD is too short to be accepted: the environment's must win.
  const env: NodeJS.ProcessEnv = { ...SPAWN_ENV, ADMIN_PASSWORD }
  delete env.DATABASE_URL
  const result = spawnSync(process.execPath, [BIN, 'create-admin', 'root'], { cwd: folder, env, encoding: 'utf8' })
  t.match(result, { status: 0, stdout: 'created the administrator root with 77 tokens\n', stderr: '' })
  t.ok(existsSync(join(folder, 'cli.sqlite')), 'DATABASE_URL came from .env')
})

t.test('npm run cli runs the same command line', async (t) => {
  const databaseUrl = tempDatabase(t)
  const env = { ...SPAWN_ENV, DATABASE_URL: databaseUrl }
  const result = spawnSync('npm', ['run', '--silent', 'cli', '--', 'users', '--search', 'x'], {
    cwd: ROOT,
    env,
    encoding: 'utf8'
  })
  t.equal(result.status, 0, result.stderr)
  t.equal(result.stdout, '0 users whose username starts with "x"\n')
})

t.test(
  'delete-user --yes deletes the account at once: its token dies, its ledger stays, its name is free',
  async (t) => {
    const { app, state, databaseUrl } = await build(t)
    const alice = await signUp(app, 'alice')
    const bob = await signUp(app, 'bob')
    const { id } = await state.user('alice')
    const ledger = await state.ledger('alice')
    const result = await cli(databaseUrl, ['delete-user', 'ALICE', '--yes'])
    t.same(result, {
      code: 0,
      stdout: `deleted alice; the ledger keeps its rows, without notes, under deleted:${id}\n`,
      stderr: ''
    })
    const balance = (headers: Record<string, string>) =>
      app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
    t.equal((await balance(alice.headers)).statusCode, 401, 'her access token stopped working')
    t.equal((await balance(bob.headers)).statusCode, 200, "bob's login goes on")
    await t.rejects(login(app, 'alice'), 'she cannot log in')
    t.same(await state.ledger(`deleted:${id}`), ledger, 'the ledger keeps her rows')
    t.same(await state.ledgerMismatches(), [])
    t.match(
      await cli(databaseUrl, ['users']),
      { code: 0, stdout: /^username .*\nbob .*\n1 user\n$/ },
      'the tombstone is not listed'
    )
    await register(app, 'alice')
    t.ok(await login(app, 'alice'), 'the name is registered again')
  }
)

t.test('delete-user asks for the username again at a terminal, and deletes nothing on another answer', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await register(app, 'alice')
  const env = { ...TEST_ENV, DATABASE_URL: databaseUrl }
  for (const [typed, code, message] of [
    [['bob\r'], 1, 'error: that is not alice: nothing was deleted\n'],
    [['ali\u0003'], 1, 'error: cancelled\n']
  ] as const) {
    const stderr = new Collected()
    const stdin = fakeTerminal(stderr, [...typed])
    t.equal(await runCli(['delete-user', 'alice'], { env, stdin, stdout: new Collected(), stderr }), code)
    t.equal(stderr.text, `Type the username again to delete alice for good: \n${message}`)
  }
  t.match(await state.user('alice'), { deletedAt: null }, 'alice is still there')
  t.match(await cli(databaseUrl, ['delete-user', 'alice']), {
    code: 2,
    stderr: /^error: pass --yes to delete without being asked, or run in a terminal\n/
  })
  t.same(await cli(databaseUrl, ['delete-user', 'nobody', '--yes']), {
    code: 1,
    stdout: '',
    stderr: 'error: there is no user nobody\n'
  })

  const stderr = new Collected()
  const stdin = fakeTerminal(stderr, ['Alice\n'])
  const stdout = new Collected()
  t.equal(await runCli(['delete-user', 'alice'], { env, stdin, stdout, stderr }), 0)
  t.match(stdout.text, /^deleted alice;/)
  t.match(await state.users(), [{ isActive: false, deletedAt: Number }])
})

t.test('delete-user refuses an account with a reply on its way, and deletes nothing', async (t) => {
  const { app, state, databaseUrl } = await build(t)
  await register(app, 'alice')
  const { id } = await state.user('alice')
  const store = await createStore(testConfig({ DATABASE_URL: databaseUrl }).database)
  t.teardown(() => store.close())
  const reserved = await store.reserveChat({
    userId: id,
    origin: 'chat',
    conversationId: undefined,
    newConversationTitle: 'hello',
    message: 'hello',
    model: 'offline',
    hold: 10,
    lease: { holder: 'elsewhere', expiresAt: Date.now() + 60_000 },
    now: Date.now()
  })
  t.match(reserved, { reserved: true })
  t.same(await cli(databaseUrl, ['delete-user', 'alice', '--yes']), {
    code: 1,
    stdout: '',
    stderr: 'error: alice has a reply on its way: nothing was deleted; try again once it has arrived\n'
  })
  t.match(await state.user('alice'), { deletedAt: null })
  t.equal(await state.countChats('pending'), 1)
})
