import type { Config } from '../src/config.js'
import { createStore } from '../src/db/create-store.js'
import { PasswordHasher } from '../src/modules/auth/passwords.js'
import { usernameColumns } from '../src/modules/auth/usernames.js'
import { seedPostgresHistories } from './fixtures-postgres.js'
import { seedSqliteHistories } from './fixtures-sqlite.js'

export const PASSWORD = 'benchmark password, not a secret'

export interface HistoryOwner {
  username: string
  chats: number
}

/** A user created for the fixtures, and how many completed chats to give them. */
export interface SeededHistory {
  userId: number
  chats: number
}

/**
 * Creates the schema and users whose history is already long, before the service starts: a million chats through
 * the API would take minutes, and a bulk write into a live database would slow the very reads being measured.
 * The owner goes through the store's own `createUser`; each seeded chat then gets its `chat` ledger row, written
 * straight into the database by the backend's own seeding, so the owner ends with a balance of 0 and
 * `users.tokens == sum(ledger.delta)` holds as for any real user.
 */
export async function seedHistories(config: Config, owners: HistoryOwner[]) {
  const passwordHash = await new PasswordHasher(config.argon2, config.argon2Queue).hash('seed', PASSWORD)
  const store = await createStore(config.database)
  const histories: SeededHistory[] = []
  try {
    for (const { username, chats } of owners) {
      const created = await store.createUser({
        ...usernameColumns(username),
        passwordHash,
        initialTokens: chats * config.chatCost,
        now: Date.now()
      })
      if (!created.created) throw new Error(`${username} already exists`)
      histories.push({ userId: created.userId, chats })
    }
  } finally {
    await store.close()
  }

  if (config.database.kind === 'sqlite') seedSqliteHistories(config.database, histories, config.chatCost)
  else await seedPostgresHistories(config.database, histories, config.chatCost)
}

/** Registers through the API, as a client would. */
export async function register(baseUrl: string, username: string) {
  await postJson(baseUrl, '/api/register/', { username, password: PASSWORD }, 201)
}

/** Logs in through the API and returns headers that authenticate as the user. */
export async function authHeaders(baseUrl: string, username: string): Promise<Record<string, string>> {
  const { access } = (await postJson(baseUrl, '/api/login/', { username, password: PASSWORD }, 200)) as {
    access: string
  }
  return { authorization: `Bearer ${access}` }
}

export async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  expectedStatus: number,
  headers: Record<string, string> = {}
): Promise<unknown> {
  const response = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  if (response.status !== expectedStatus) throw new Error(`POST ${path}: ${response.status} ${text}`)
  return JSON.parse(text)
}
