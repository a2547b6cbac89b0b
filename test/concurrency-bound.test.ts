import { setTimeout } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { ConcurrencyBound, type ConcurrencyBoundLimits } from '../src/modules/auth/concurrency-bound.js'

const ROOMY: ConcurrencyBoundLimits = { concurrency: 1, maxWaiting: 100, waitTimeoutMs: 60_000, perKey: 100 }

/** A task that runs until `finish` is called. */
function held() {
  let finish = () => {}
  const done = new Promise<void>((resolve) => (finish = resolve))
  return { task: () => done, finish }
}

async function assertBusy(t: Test, refused: Promise<unknown>, retryAfter: string) {
  await t.rejects(refused, { code: 'SERVER_BUSY', statusCode: 503, headers: { 'retry-after': retryAfter } })
}

t.test('a concurrency bound runs at most its concurrency of tasks at once and every task in turn', async (t) => {
  const bound = new ConcurrencyBound({ ...ROOMY, concurrency: 2 })
  let running = 0
  let mostAtOnce = 0
  const started: number[] = []
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, index) =>
      bound.run(`key ${index}`, async () => {
        started.push(index)
        running++
        mostAtOnce = Math.max(mostAtOnce, running)
        await setTimeout(5)
        running--
        return index * 10
      })
    )
  )
  t.equal(mostAtOnce, 2)
  t.same(started, [0, 1, 2, 3, 4, 5], 'in the order they came')
  t.same(results, [0, 10, 20, 30, 40, 50])
  t.equal(bound.keys, 0, 'no key holds a place afterwards')
})

t.test('a failed task frees its slot for the next one', async (t) => {
  const bound = new ConcurrencyBound(ROOMY)
  const failed = bound.run('a', async () => {
    throw new Error('argon2 failed')
  })
  const next = bound.run('a', async () => 'ran')
  await t.rejects(failed, { message: 'argon2 failed' })
  t.equal(await next, 'ran')
})

t.test('a full queue refuses at once with server_busy and a Retry-After of the wait deadline', async (t) => {
  const bound = new ConcurrencyBound({ ...ROOMY, maxWaiting: 2, waitTimeoutMs: 2500 })
  const running = held()
  const admitted = [bound.run('a', running.task), bound.run('b', async () => 'b'), bound.run('c', async () => 'c')]
  await assertBusy(
    t,
    bound.run('d', async () => 'd'),
    '3'
  )
  running.finish()
  await Promise.all(admitted)
  t.equal(await bound.run('d', async () => 'd'), 'd', 'there is room again once the queue drains')
})

t.test('a task whose turn does not come within the deadline is refused and leaves its place', async (t) => {
  const bound = new ConcurrencyBound({ ...ROOMY, maxWaiting: 1, waitTimeoutMs: 50 })
  const running = held()
  const first = bound.run('a', running.task)
  let ran = false
  await assertBusy(
    t,
    bound.run('b', async () => {
      ran = true
    }),
    '1'
  )
  const next = bound.run('c', async () => 'c')
  running.finish()
  await first
  t.equal(await next, 'c', 'the place it waited in went to the next task')
  t.notOk(ran, 'the refused task never runs')
})

t.test('one key holds at most its share of places, running and waiting together', async (t) => {
  const bound = new ConcurrencyBound({ ...ROOMY, perKey: 2 })
  const running = held()
  const alice = [bound.run('alice', running.task), bound.run('alice', async () => 'second')]
  await assertBusy(
    t,
    bound.run('alice', async () => 'third'),
    '60'
  )
  const bob = bound.run('bob', async () => 'bob')
  running.finish()
  await Promise.all(alice)
  t.equal(await bob, 'bob', 'other keys still get their turn')
  t.equal(await bound.run('alice', async () => 'again'), 'again', 'a key gets its places back as its tasks end')
  t.equal(bound.keys, 0)
})
