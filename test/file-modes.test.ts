import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'
import { withJwtSecret } from '../src/jwt-secret.js'
import { startServer } from './server-process.js'
import { scratchDirectory } from './scratch-directory.js'

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

t.test(
  'under umask 000 the server creates its folders 0700 and the database, -wal, -shm and jwt-secret 0600',
  async (t) => {
    const state = join(scratchDirectory(t), 'state')
    const folder = join(state, 'db')
    const databaseUrl = join(folder, 'ai-chat.sqlite')
    const server = await startServer(t, { DATABASE_URL: databaseUrl, JWT_SECRET: '' }, { umask: 0o000 })

    const response = await fetch(`${server.baseUrl}/api/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' })
    })
    t.equal(response.status, 201, 'the database works')

    t.equal(modeOf(state), '700', 'a missing parent folder')
    t.equal(modeOf(folder), '700', 'the database folder')
    for (const file of ['ai-chat.sqlite', 'ai-chat.sqlite-wal', 'ai-chat.sqlite-shm', 'jwt-secret']) {
      t.equal(modeOf(join(folder, file)), '600', file)
    }
  }
)

/** A folder with a jwt-secret left there before the service started. */
function existingSecret(t: Test, mode: number) {
  const directory = scratchDirectory(t)
  mkdirSync(directory, { recursive: true })
  const secretFile = join(directory, 'jwt-secret')
  writeFileSync(secretFile, 's'.repeat(48))
  chmodSync(secretFile, mode)
  return { secretFile, env: { DATABASE_URL: join(directory, 'ai-chat.sqlite') } }
}

t.test('outside production an existing jwt-secret that others can read is refused, saying how to fix it', async (t) => {
  const { secretFile, env } = existingSecret(t, 0o644)
  t.throws(() => withJwtSecret(loadConfig(env)), {
    constructor: ConfigError,
    message: `Refusing the JWT secret in ${secretFile}: other users can read or change it (mode 644). Run \`chmod 600 ${secretFile}\`, or set JWT_SECRET.`
  })
})

t.test('outside production an existing jwt-secret owned by another user is refused', async (t) => {
  const { secretFile, env } = existingSecret(t, 0o600)
  // Giving a file away takes root, which CI and these machines run as.
  chownSync(secretFile, 4242, 4242)
  t.throws(() => withJwtSecret(loadConfig(env)), {
    constructor: ConfigError,
    message: new RegExp(`^Refusing the JWT secret in ${secretFile}: it belongs to uid 4242, not to uid \\d+ that runs`)
  })
})

t.test('an existing jwt-secret of the service user, mode 0600, is read', async (t) => {
  const { env } = existingSecret(t, 0o600)
  t.equal(withJwtSecret(loadConfig(env)).jwtSecret, 's'.repeat(48))
})
