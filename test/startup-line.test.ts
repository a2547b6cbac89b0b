import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { startupSummary } from '../src/startup-summary.js'
import { TEST_ENV } from './helper.js'
import { startServer } from './server-process.js'
import { scratchDirectory } from './scratch-directory.js'

const isReadyLine = (line: { msg: string }) => line.msg.startsWith('ready: docs at ')

t.test(
  'the start-up line gives the docs URL, the SQLite file, the provider, the limits and the generated secret',
  async (t) => {
    const server = await startServer(t, { JWT_SECRET: '' })
    const ready = await server.logged(isReadyLine)
    const secretFile = join(server.databaseUrl, '..', 'jwt-secret')
    t.match(ready, {
      msg: `ready: docs at ${server.baseUrl}/docs`,
      docs: `${server.baseUrl}/docs`,
      store: { kind: 'sqlite', path: server.databaseUrl },
      ai: { provider: 'offline', models: ['offline'], defaultModel: 'offline' },
      limits: { kind: 'memory' },
      jwtSecretSource: `generated into ${secretFile}`
    })
    const docs = await fetch(ready.docs as string)
    t.equal(docs.status, 200, 'the docs answer at that URL')
  }
)

t.test('the start-up details show PostgreSQL and Redis URLs without their passwords', async (t) => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://app:db-secret@db.internal:5432/chat',
    JWT_SECRET: 'x'.repeat(32),
    AI_PROVIDER: 'openai',
    AI_BASE_URL: 'https://api.example.com/v1',
    AI_MODEL: 'gpt-4o-mini',
    AI_API_KEY: 'sk-never-shown',
    REDIS_URL: 'redis://default:redis-secret@cache.internal:6379/2'
  })
  const { details } = startupSummary(config, 'http://10.0.0.5:3000', 'JWT_SECRET')
  t.same(details, {
    docs: 'http://10.0.0.5:3000/docs',
    store: { kind: 'postgres', url: 'postgres://app:***@db.internal:5432/chat' },
    ai: { provider: 'openai', models: ['gpt-4o-mini'], defaultModel: 'gpt-4o-mini' },
    limits: { kind: 'redis', url: 'redis://default:***@cache.internal:6379/2' },
    jwtSecretSource: 'JWT_SECRET'
  })
})

t.test(
  'the server reads .env from its working directory; the real environment wins, JWT_SECRET is never shown',
  async (t) => {
    const folder = scratchDirectory(t)
    const fromFile = join(folder, 'from-file.sqlite')
    writeFileSync(join(folder, '.env'), `DATABASE_URL=${fromFile}\nINITIAL_TOKENS=123\n`)
    const server = await startServer(t, {}, { cwd: folder, databaseUrl: join(folder, 'from-environment.sqlite') })
    t.match(await server.logged(isReadyLine), {
      store: { path: join(folder, 'from-environment.sqlite') },
      jwtSecretSource: 'JWT_SECRET'
    })
    t.notMatch(JSON.stringify(server.lines), TEST_ENV.JWT_SECRET)
    const registered = await fetch(`${server.baseUrl}/api/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' })
    })
    t.match(await registered.json(), { username: 'alice', tokens: 123 }, 'INITIAL_TOKENS came from .env')
  }
)
