import t from 'tap'
import type { Limits } from '../../src/limits/limits.js'
import { createMemoryLimits } from '../../src/limits/memory.js'
import { rateLimitStore } from '../../src/limits/rate-limit-store.js'

function storeOn(limits: Limits = createMemoryLimits()) {
  const Store = rateLimitStore(limits)
  return new Store({})
}

function incr(store: ReturnType<typeof storeOn>, key: string) {
  return new Promise<{ current: number; ttl: number }>((resolve, reject) =>
    store.incr(key, (error, result) => (error ? reject(error) : resolve(result!)), 60_000, 10)
  )
}

const LIMITER = { groupId: 'registrations', timeWindow: 60_000 } as never

t.test("a limiter counts in the window counter its groupId names, in the limits' windows", async (t) => {
  // A clock that stands still: the window's time left is then exactly its length, however slow the machine.
  const limits = createMemoryLimits({ now: () => 1_000_000 })
  const limiter = storeOn(limits).child(LIMITER)
  t.match(await incr(limiter, 'a'), { current: 1, ttl: 60_000 })
  t.match(await incr(limiter, 'a'), { current: 2 })
  t.equal((await limits.windows('registrations', { windowMs: 60_000 }).hit('a')).count, 3)
})

t.test('a limiter without a groupId or a timeWindow in milliseconds is refused when it is made', async (t) => {
  const store = storeOn()
  t.throws(() => store.child({ timeWindow: 60_000 } as never), /needs a groupId/)
  t.throws(() => store.child({ groupId: 'chats', timeWindow: '1 minute' } as never), /needs a groupId/)
})

t.test('only the limiters count: the root store and a limiter refuse to be used otherwise', async (t) => {
  const store = storeOn()
  t.throws(() => store.incr('a', () => {}, 60_000, 10), /counted by the limiters/)
  t.throws(() => store.child(LIMITER).child(LIMITER), /its own window counter only/)
})

t.test('a count that fails reaches @fastify/rate-limit as an error', async (t) => {
  const unreachable = new Error('the limits cannot be reached')
  const limits = { windows: () => ({ hit: () => Promise.reject(unreachable) }) } as unknown as Limits
  await t.rejects(incr(storeOn(limits).child(LIMITER), 'a'), unreachable)
})
