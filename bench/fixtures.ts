import Database from 'better-sqlite3'
import type { Config } from '../src/config.js'
import { createStore } from '../src/db/create-store.js'
import { PasswordHasher } from '../src/modules/auth/passwords.js'
import { usernameColumns } from '../src/modules/auth/usernames.js'

export const PASSWORD = 'benchmark password, not a secret'

export interface HistoryOwner {
  username: string
  chats: number
}

/**
 * Creates the schema and users whose history is already long, before the service starts: a million chats through
 * the API would take minutes, and a bulk write into a live WAL database would slow the very reads being measured.
 * The owner goes through the store's own `createUser`; each seeded chat then gets its `chat` ledger row, so the owner
 * ends with a balance of 0 and `users.tokens == sum(ledger.delta)` holds as for any real user.
 */
export async function seedHistories(config: Config, owners: HistoryOwner[]) {
  const passwordHash = await new PasswordHasher(config.argon2, config.argon2Queue).hash('seed', PASSWORD)
  const store = createStore(config.database)
  const userIds: number[] = []
  try {
    for (const { username, chats } of owners) {
      const created = await store.createUser({
        ...usernameColumns(username),
        passwordHash,
        initialTokens: chats * config.chatCost,
        now: Date.now()
      })
      if (!created.created) throw new Error(`${username} already exists`)
      userIds.push(created.userId)
    }
  } finally {
    await store.close()
  }

  if (config.database.kind !== 'sqlite') throw new Error('the chat fixtures are written to a SQLite file')
  const db = new Database(config.database.path)
  try {
    owners.forEach(({ chats }, index) => insertCompletedChats(db, userIds[index]!, chats, config.chatCost))
  } finally {
    db.close()
  }
}

function insertCompletedChats(db: Database.Database, userId: number, count: number, cost: number) {
  const insertChat = db.prepare(
    `insert into chats (user_id, message, response, status, cost, created_at, updated_at)
     values (?, ?, ?, 'completed', ?, ?, ?)`
  )
  const insertLedger = db.prepare(
    `insert into ledger (user_id, delta, reason, chat_id, balance_after, created_at) values (?, ?, 'chat', ?, ?, ?)`
  )
  const setBalance = db.prepare('update users set tokens = ? where id = ?')
  const start = Date.now() - count * 1000
  db.transaction(() => {
    let balance = count * cost
    for (let index = 0; index < count; index++) {
      const createdAt = start + index * 1000
      const message = `seeded message ${index}`
      const chat = insertChat.run(userId, message, `[offline reply] ${message}`, cost, createdAt, createdAt)
      balance -= cost
      insertLedger.run(userId, -cost, chat.lastInsertRowid, balance, createdAt)
    }
    setBalance.run(balance, userId)
  })()
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
