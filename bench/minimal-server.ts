import jwt from '@fastify/jwt'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { OfflineProvider } from '../src/ai/offline-provider.js'
import { toPage } from '../src/modules/common/pages.js'
import { toChatItem } from '../src/modules/chat/history.js'
import { openMinimalPostgres } from './minimal-postgres.js'
import { openMinimalSqlite } from './minimal-sqlite.js'

/**
 * The second yardstick: the work of the balance, chat and history routes done the straightforward way, on the
 * service's own database, with nothing else (no validation schemas, hooks, metrics, caches, limits, conversations or
 * spend counters). See NOTES.md.
 */
const databaseUrl = process.env.DATABASE_URL
const secret = process.env.JWT_SECRET
if (!databaseUrl || !secret) throw new Error('the minimal server needs DATABASE_URL and JWT_SECRET')
const chatCost = Number(process.env.CHAT_COST ?? 100)
const PAGE_SIZE = 20

const store = /^postgres(ql)?:\/\//i.test(databaseUrl)
  ? openMinimalPostgres(databaseUrl, Number(process.env.DATABASE_POOL_SIZE ?? 10))
  : openMinimalSqlite(databaseUrl)
const provider = new OfflineProvider()
const neverAborted = new AbortController().signal
const app = Fastify({ logger: false })
await app.register(jwt, { secret, verify: { algorithms: ['HS256'] } })

interface Claims {
  sub: string
  sid: string
  token_type: string
}

/** Verifies the access token and checks that its session is live; the user, or undefined once 401 is sent. */
async function authenticate(request: FastifyRequest, reply: FastifyReply) {
  let claims: Claims
  try {
    claims = await request.jwtVerify<Claims>()
  } catch {
    reply.code(401).send({ code: 'token_not_valid' })
    return undefined
  }
  const userId = Number(claims.sub)
  const username = claims.token_type === 'access' ? await store.sessionUsername(userId, claims.sid) : undefined
  if (username === undefined) {
    reply.code(401).send({ code: 'login_ended' })
    return undefined
  }
  return { id: userId, username }
}

app.get('/api/tokenbalance/', async (request, reply) => {
  const user = await authenticate(request, reply)
  if (!user) return reply
  return { username: user.username, tokens: await store.balance(user.id) }
})

app.post('/api/chat_msg/', async (request, reply) => {
  const user = await authenticate(request, reply)
  if (!user) return reply
  const { message } = request.body as { message: string }
  const createdAt = Date.now()
  const reserved = await store.reserve(user.id, message, 'offline', chatCost, createdAt)
  if (!reserved) return reply.code(402).send({ code: 'insufficient_tokens' })
  const { text, model } = await provider.complete({
    model: 'offline',
    messages: [{ role: 'user', content: message }],
    maxTokens: undefined,
    signal: neverAborted
  })
  await store.settle(reserved.chatId, text, model, Date.now())
  const chat = toChatItem({
    id: reserved.chatId,
    conversationId: null,
    message,
    response: text,
    status: 'completed',
    model: 'offline',
    upstreamModel: model,
    promptTokens: null,
    cachedTokens: null,
    completionTokens: null,
    usageSource: 'none',
    cost: chatCost,
    createdAt
  })
  return reply.code(201).send({ ...chat, remaining_tokens: reserved.remainingTokens })
})

// The first page only: the benchmark reads no other.
app.get('/api/chats/', async (request, reply) => {
  const user = await authenticate(request, reply)
  if (!user) return reply
  const rows = await store.latestChats(user.id, PAGE_SIZE + 1)
  return toPage(rows, PAGE_SIZE, toChatItem, (chat) => String(chat.id))
})

process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => store.close())
    .then(() => process.exit(0))
})
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' })
