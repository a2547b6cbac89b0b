import Database from 'better-sqlite3'
import pg from 'pg'
import type { DatabaseConfig } from '../src/db/database-config.js'
import type { UsageTotals } from '../src/db/store.js'

/**
 * The `usage_daily` rows a month of chats leaves, generated rather than settled. A settlement upserts its user's row
 * for the chat's UTC day and model, adding 1 to `requests` and the chat's tokens and cost to the sums, and the reports
 * read nothing but these rows: n settlements of one (user, day, model) leave exactly one row holding n and the sums,
 * which is what is inserted here. Settling a million chats through the store would take many minutes and measure
 * nothing the reports read.
 *
 * Skew: users' monthly chats follow Zipf's law (the user of rank r makes 1/r of the busiest user's), so a tenth of
 * the users make three quarters of the chats and the busiest chats about 3,400 times a day; each user's chats of a
 * day are Poisson-distributed, split between the models by their shares. Ranks are shuffled over the user ids, so
 * busy users are spread over the admin report's pages.
 */
export interface RollupShape {
  users: number
  chatsPerMonth: number
  /** The first day of the month (days since the epoch), and its number of days. */
  firstDay: number
  days: number
}

const MODELS = [
  { id: 'small', share: 0.6, request: 1, creditsPerMillionTokens: 150 },
  { id: 'medium', share: 0.3, request: 2, creditsPerMillionTokens: 1_000 },
  { id: 'large', share: 0.1, request: 5, creditsPerMillionTokens: 10_000 }
]

const PROMPT_TOKENS_PER_CHAT = 700
const COMPLETION_TOKENS_PER_CHAT = 300

export type RollupRow = UsageTotals & { userId: number; day: number; model: string }

/** The rows, and the users in the order of their monthly chats (busiest first). */
export function generateRollup({ users, chatsPerMonth, firstDay, days }: RollupShape) {
  const random = mulberry32(13)
  const harmonic = Array.from({ length: users }, (_, index) => 1 / (index + 1)).reduce((sum, term) => sum + term)
  const byRank = shuffled(
    Array.from({ length: users }, (_, index) => index + 1),
    random
  )
  const rows: RollupRow[] = []
  byRank.forEach((userId, index) => {
    const monthlyChats = chatsPerMonth / harmonic / (index + 1)
    for (let day = firstDay; day < firstDay + days; day++) {
      for (const model of MODELS) {
        const requests = poisson((monthlyChats / days) * model.share, random)
        if (requests > 0) rows.push(rowOf(userId, day, model, requests, random))
      }
    }
  })
  return { rows, byRank }
}

function rowOf(userId: number, day: number, model: (typeof MODELS)[number], requests: number, random: () => number) {
  const promptTokens = Math.round(requests * PROMPT_TOKENS_PER_CHAT * (0.5 + random()))
  const completionTokens = Math.round(requests * COMPLETION_TOKENS_PER_CHAT * (0.5 + random()))
  const tokenCredits = ((promptTokens + completionTokens) * model.creditsPerMillionTokens) / 1_000_000
  return {
    userId,
    day,
    model: model.id,
    requests,
    promptTokens,
    cachedTokens: Math.floor(promptTokens * 0.25 * random()),
    completionTokens,
    credits: requests * model.request + Math.ceil(tokenCredits)
  }
}

export interface Seeding {
  users: number
  /** The month's rows, from `firstDay` on. */
  rows: RollupRow[]
  firstDay: number
  historyMonths: number
}

/**
 * Users `user1` … `userN` (ids 1 … N in a fresh database), the rows, and `historyMonths` copies of them moved back
 * 30 days each (so the table holds far more than the month a report reads, as once a service has run a while), in
 * one transaction.
 */
export async function seedRollup(database: DatabaseConfig, seeding: Seeding) {
  if (database.kind === 'sqlite') seedSqlite(database.path, seeding)
  else await seedPostgres(database.url, seeding)
}

const COPY_MONTH_BACK = `
  insert into usage_daily (user_id, day, model, requests, prompt_tokens, cached_tokens, completion_tokens, credits)
  select user_id, day - 30 * $months, model, requests, prompt_tokens, cached_tokens, completion_tokens, credits
  from usage_daily where day >= $firstDay`

function seedSqlite(path: string, { users, rows, firstDay, historyMonths }: Seeding) {
  const db = new Database(path)
  try {
    const insertUser = db.prepare(
      `insert into users (id, username, username_key, username_skeleton, password_hash, tokens, created_at)
       values (?, ?, ?, ?, 'not a hash', 0, 0)`
    )
    const insertRow = db.prepare(
      `insert into usage_daily (user_id, day, model, requests, prompt_tokens, cached_tokens, completion_tokens, credits)
       values (@userId, @day, @model, @requests, @promptTokens, @cachedTokens, @completionTokens, @credits)`
    )
    const copyMonthBack = db.prepare(COPY_MONTH_BACK.replaceAll('$', '@'))
    db.transaction(() => {
      for (let id = 1; id <= users; id++) insertUser.run(id, `user${id}`, `user${id}`, `user${id}`)
      for (const row of rows) insertRow.run(row)
      for (let months = 1; months <= historyMonths; months++) copyMonthBack.run({ months, firstDay })
    })()
  } finally {
    db.close()
  }
}

const CHUNK = 50_000

async function seedPostgres(url: string, { users, rows, firstDay, historyMonths }: Seeding) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('begin')
    await client.query(
      `insert into users (id, username, username_key, username_skeleton, password_hash, tokens, created_at)
       select id, 'user' || id, 'user' || id, 'user' || id, 'not a hash', 0, 0 from generate_series(1, $1::int) id`,
      [users]
    )
    await client.query(`select setval('users_id_seq', $1::int)`, [users])
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK)
      const column = (name: keyof RollupRow) => chunk.map((row) => row[name])
      await client.query(
        `insert into usage_daily (user_id, day, model, requests, prompt_tokens, cached_tokens, completion_tokens, credits)
         select * from unnest($1::int[], $2::int[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
           $8::bigint[])`,
        [
          column('userId'),
          column('day'),
          column('model'),
          column('requests'),
          column('promptTokens'),
          column('cachedTokens'),
          column('completionTokens'),
          column('credits')
        ]
      )
    }
    const copyMonthBack = COPY_MONTH_BACK.replace('$months', '$1::int').replace('$firstDay', '$2::int')
    for (let months = 1; months <= historyMonths; months++) await client.query(copyMonthBack, [months, firstDay])
    await client.query('commit')
    // As a server that has run a while has: statistics gathered, hint bits set, the visibility map up to date.
    await client.query('vacuum (analyze) users, usage_daily')
  } finally {
    await client.end()
  }
}

/** A small seeded generator, so that every run measures the same rows. */
function mulberry32(seed: number) {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled<Item>(items: Item[], random: () => number): Item[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1))
    ;[items[index], items[other]] = [items[other]!, items[index]!]
  }
  return items
}

/** Knuth's method for small means; above 30 the normal approximation is close enough for a benchmark's data. */
function poisson(mean: number, random: () => number): number {
  if (mean > 30) {
    const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian))
  }
  const limit = Math.exp(-mean)
  let count = 0
  for (let product = random(); product > limit; product *= random()) count++
  return count
}
