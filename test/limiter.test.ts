import { setTimeout } from 'node:timers/promises'
import t from 'tap'
import { Limiter } from '../src/modules/auth/limiter.js'

t.test('a limiter runs at most its limit of tasks at once and every task in turn', async (t) => {
  const limiter = new Limiter(2)
  let running = 0
  let mostAtOnce = 0
  const started: number[] = []
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, index) =>
      limiter.run(async () => {
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
})

t.test('a failed task frees its slot for the next one', async (t) => {
  const limiter = new Limiter(1)
  const failed = limiter.run(async () => {
    throw new Error('argon2 failed')
  })
  const next = limiter.run(async () => 'ran')
  await t.rejects(failed, { message: 'argon2 failed' })
  t.equal(await next, 'ran')
})
