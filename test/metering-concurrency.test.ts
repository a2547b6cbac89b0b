import fc from 'fast-check'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { AiProvider, AiReply, AiStreamEvent, GenerateRequest } from '../src/ai/provider.js'
import { buildApp } from '../src/app.js'
import { collectEvents } from './event-stream-client.js'
import { signUp, testConfig } from './helper.js'
import { TEST_DATABASE_URL } from './postgres-test-database.js'
import {
  chargeOf,
  holdOf,
  modelPricesArbitrary,
  promptBoundOf,
  textArbitrary,
  usageFor,
  usageSharesArbitrary,
  writeModelsFile
} from './settlement-reference.js'
import { backends } from './store/backends.js'
import { scratchDirectory } from './scratch-directory.js'

const MESSAGES = 200
const SYSTEM_PROMPT = 'You are a helpful assistant.'
const MIN_OUTPUT_TOKENS = 16

const scenarioArbitrary = fc.record({
  models: fc.tuple(modelPricesArbitrary('small'), modelPricesArbitrary('large')),
  messages: fc.array(
    fc.record({
      model: fc.nat(1),
      prompt: textArbitrary,
      streamed: fc.boolean(),
      /** How long the provider takes to answer it. */
      delayMs: fc.integer({ min: 0, max: 25 }),
      usage: usageSharesArbitrary
    }),
    { minLength: MESSAGES, maxLength: MESSAGES }
  ),
  balanceShare: fc.integer({ min: 20, max: 1000 })
})

/** Every run draws another scenario; METERING_SEED replays one. */
const seed = Number(process.env.METERING_SEED ?? Math.floor(Math.random() * 2 ** 31))
const scenario = fc.sample(scenarioArbitrary, { seed, numRuns: 1 })[0]!

/** Messages carry their number, so that the provider knows which plan each is. */
const textOf = (index: number) => `[${index}] ${scenario.messages[index]!.prompt}`
const modelOf = (index: number) => scenario.models[scenario.messages[index]!.model]!
const boundOf = (index: number) => promptBoundOf([{ content: SYSTEM_PROMPT }, { content: textOf(index) }])

/** The hold of the smallest call a message may make: the one a 402 names. */
function smallestHold(index: number) {
  const model = modelOf(index)
  const maxTokens = model.output > 0n ? Math.min(MIN_OUTPUT_TOKENS, model.maxOutputTokens) : model.maxOutputTokens
  return holdOf(model, boundOf(index), maxTokens)
}

/**
 * Enough for the dearest smallest call, so that at least one message is answered, and up to half the full holds of
 * all of them more: how many are answered depends on the holds the others have taken at the time.
 */
const startingBalance =
  Math.max(...scenario.messages.map((_, index) => smallestHold(index))) +
  Math.floor(
    (scenario.messages.reduce(
      (sum, _, index) => sum + holdOf(modelOf(index), boundOf(index), modelOf(index).maxOutputTokens),
      0
    ) *
      scenario.balanceShare) /
      2000
  )

/** Answers each message after its planned delay with its planned usage, and keeps what each was sent with. */
class PlannedProvider implements AiProvider {
  readonly name = 'planned'
  readonly asked = new Map<number, GenerateRequest>()

  async complete(request: GenerateRequest): Promise<AiReply> {
    const index = await this.answer(request)
    return { text: `reply ${index}`, model: request.model, usage: usageFor(scenario.messages[index]!.usage, request) }
  }

  async *stream(request: GenerateRequest): AsyncGenerator<AiStreamEvent> {
    const index = await this.answer(request)
    yield { type: 'delta', text: 'reply ' }
    yield { type: 'delta', text: String(index) }
    yield { type: 'end', model: request.model, usage: usageFor(scenario.messages[index]!.usage, request) }
  }

  private async answer(request: GenerateRequest) {
    const index = Number(/^\[(\d+)\] /.exec(request.messages.at(-1)!.content)![1])
    this.asked.set(index, request)
    await sleep(scenario.messages[index]!.delayMs)
    return index
  }
}

interface Answer {
  index: number
  status: number
  body: any
}

/** The answer to one message: a stream's `done` event counts as its 201, its `error` event as its problem. */
async function send(baseUrl: string, access: string, index: number): Promise<Answer> {
  const { streamed } = scenario.messages[index]!
  const response = await fetch(`${baseUrl}/api/chat_msg/`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${access}`,
      'content-type': 'application/json',
      ...(streamed ? { accept: 'text/event-stream' } : {})
    },
    body: JSON.stringify({ message: textOf(index), model: modelOf(index).id })
  })
  if (!streamed || response.status !== 200) return { index, status: response.status, body: await response.json() }
  const last = (await collectEvents(response)).at(-1)
  return { index, status: last?.event === 'done' ? 201 : (last?.data as any)?.status, body: last?.data }
}

t.comment(
  `seed ${seed} (METERING_SEED replays it): starting balance ${startingBalance}, models ` +
    JSON.stringify(scenario.models, (_, value) => (typeof value === 'bigint' ? String(value) : value))
)

for (const backend of backends) {
  t.test(
    `on ${backend.name}, ${MESSAGES} simultaneous messages never overdraw and each is charged its usage`,
    async (t) => {
      const opened = await backend.open(t)
      const modelsFile = join(scratchDirectory(t), 'models.json')
      writeModelsFile(modelsFile, [...scenario.models])
      const provider = new PlannedProvider()
      const config = testConfig({
        DATABASE_URL: opened.databaseUrl,
        MODELS_FILE: modelsFile,
        INITIAL_TOKENS: String(startingBalance),
        AI_SYSTEM_PROMPT: SYSTEM_PROMPT,
        MIN_OUTPUT_TOKENS: String(MIN_OUTPUT_TOKENS),
        AI_MAX_CONCURRENT_PER_USER: '1000'
      })
      const app = await buildApp(config, { provider })
      try {
        const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
        const { access } = await signUp(app, 'alice')
        const answers = await Promise.all(scenario.messages.map((_, index) => send(baseUrl, access, index)))

        const replies = answers.filter((answer) => answer.status === 201)
        const refusals = answers.filter((answer) => answer.status === 402)
        t.comment(`${replies.length} answered, ${refusals.length} refused for the balance`)
        t.same(
          answers.filter((answer) => answer.status !== 201 && answer.status !== 402),
          [],
          'every message is answered (201) or refused for the balance (402)'
        )
        t.ok(replies.length >= 1, 'the balance affords at least the first message')

        const finalBalance = (await opened.state.user('alice')).tokens
        t.ok(finalBalance >= 0, `the final balance ${finalBalance} is not negative`)
        t.same((await app.store.auditLedger()).mismatches, [], 'the audit finds nothing')
        t.same(await opened.state.ledgerMismatches(), [], 'the ledger sums to the balance')
        const chats = await opened.state.chats()
        t.equal(await opened.state.countChats('pending'), 0, 'no chat is left pending')
        t.equal(chats.length, replies.length, 'a chat is stored for each answered message, none for a refused one')

        const holdById = new Map(chats.map((chat) => [chat.id, chat.hold]))
        const miscounted = replies.flatMap(({ index, body }) => {
          const asked = provider.asked.get(index)!
          const hold = holdOf(modelOf(index), promptBoundOf(asked.messages), asked.maxTokens!)
          const cost = chargeOf(modelOf(index), body.usage, hold)
          const right = body.cost === cost && holdById.get(body.id) === hold && body.usage_source === 'provider'
          return right ? [] : [{ index, hold, storedHold: holdById.get(body.id), cost, answered: body }]
        })
        t.same(miscounted, [], "each answer's cost is its usage's at the model's prices, capped at its hold")
        t.equal(
          replies.reduce((sum, { body }) => sum + body.cost, 0),
          startingBalance - finalBalance,
          'the answered costs are what the balance lost'
        )

        const malformed = refusals.filter(
          ({ index, body }) =>
            body.code !== 'insufficient_tokens' ||
            !Number.isSafeInteger(body.balance) ||
            body.balance < 0 ||
            body.cost <= body.balance ||
            (body.cost !== smallestHold(index) && body.balance < smallestHold(index))
        )
        // A 402 names the smallest call's hold, unless the tries ran out while the balance read after each refusal
        // (credits of other chats' settlements in it) still covered that: then the hold last refused.
        t.same(malformed, [], 'each 402 names a balance and a cost above it: the smallest call’s, or the last refused')
        const lowered = refusals.filter(({ index, body }) => body.cost !== smallestHold(index)).length
        t.comment(`${lowered} of the 402s name a lowered hold the balance could not cover`)
      } finally {
        await app.close()
      }
    }
  )
}

if (!TEST_DATABASE_URL) t.comment('SKIPPED: simultaneous metered messages on PostgreSQL (set TEST_DATABASE_URL)')
