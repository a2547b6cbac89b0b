import Database from 'better-sqlite3'
import type { SqliteDatabase } from '../src/db/database-config.js'
import type { SeededHistory } from './fixtures.js'

/**
 * Gives each user their completed chats, each with its `chat` ledger row, in one better-sqlite3 transaction on the
 * file (7 s for a million), and sets the balance the rows end at.
 */
export function seedSqliteHistories(database: SqliteDatabase, histories: SeededHistory[], cost: number) {
  const db = new Database(database.path)
  try {
    for (const { userId, chats } of histories) insertCompletedChats(db, userId, chats, cost)
  } finally {
    db.close()
  }
}

function insertCompletedChats(db: Database.Database, userId: number, count: number, cost: number) {
  const insertChat = db.prepare(
    `insert into chats (user_id, message, response, status, hold, cost, created_at, updated_at)
     values (?, ?, ?, 'completed', ?, ?, ?, ?)`
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
      const chat = insertChat.run(userId, message, `[offline reply] ${message}`, cost, cost, createdAt, createdAt)
      balance -= cost
      insertLedger.run(userId, -cost, chat.lastInsertRowid, balance, createdAt)
    }
    setBalance.run(balance, userId)
  })()
}
