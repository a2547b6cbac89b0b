import t, { type Test } from 'tap'
import { build, signUp } from './helper.js'
import { createPostgresDatabase, TEST_DATABASE_URL } from './postgres-test-database.js'

/** Past PostgreSQL's int4 ids (`serial`): the largest id and cursor position any list could give, plus one. */
const PAST_ANY_ID = 2_147_483_648
const cursorOf = (text: string) => Buffer.from(text).toString('base64url')

const REQUESTS = [
  `/api/conversations/${PAST_ANY_ID}/`,
  `/api/chats/${PAST_ANY_ID}/`,
  `/api/chats/?cursor=${PAST_ANY_ID}`,
  `/api/transactions/?cursor=${PAST_ANY_ID}`,
  `/api/conversations/?cursor=1795472049103_${PAST_ANY_ID}`,
  `/api/usage/?group_by=key&cursor=${cursorOf(`key:${PAST_ANY_ID}`)}`,
  `/api/usage/?group_by=day&cursor=${cursorOf(`day:${PAST_ANY_ID}`)}`
]

async function backends(): Promise<{ name: string; env: (t: Test) => Promise<Record<string, string>> }[]> {
  const sqlite = { name: 'SQLite', env: async () => ({}) }
  const serverUrl = TEST_DATABASE_URL
  if (!serverUrl) {
    console.log('# SKIPPED: row ids on PostgreSQL (set TEST_DATABASE_URL)')
    return [sqlite]
  }
  const postgres = {
    name: 'PostgreSQL',
    env: async (t: Test) => {
      const database = await createPostgresDatabase(serverUrl)
      t.teardown(database.drop)
      return { DATABASE_URL: database.url }
    }
  }
  return [sqlite, postgres]
}

for (const backend of await backends()) {
  t.test(`${backend.name}: an id or cursor past any row's is a 400 problem, never a 500`, async (t) => {
    const { app } = await build(t, await backend.env(t))
    const { headers } = await signUp(app)

    for (const url of REQUESTS) {
      const response = await app.inject({ method: 'GET', url, headers })
      t.equal(response.statusCode, 400, url)
      t.match(response.json(), { code: 'validation_failed' }, url)
    }
    const revocation = await app.inject({ method: 'DELETE', url: `/api/keys/${PAST_ANY_ID}/`, headers })
    t.equal(revocation.statusCode, 400, 'DELETE /api/keys/{id}/')
  })
}
