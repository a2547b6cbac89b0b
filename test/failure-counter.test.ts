import t from 'tap'
import { FailureCounter } from '../src/plugins/failure-counter.js'

/** A counter on a clock the test moves by hand. */
function counterAt(limit: number, windowMs: number, maxKeys = 100) {
  const clock = { now: 1_000_000 }
  const counter = new FailureCounter(limit, windowMs, maxKeys, () => clock.now)
  return { counter, clock }
}

function fail(counter: FailureCounter, key: string, times: number) {
  for (let attempt = 0; attempt < times; attempt++) {
    if (!counter.begin(key).admitted) throw new Error(`attempt ${attempt + 1} on ${key} was refused`)
    counter.settle(key, true)
  }
}

t.test(
  'an attempt is refused once the limit of failures is reached, with the wait until the window ends',
  async (t) => {
    const { counter, clock } = counterAt(3, 60_000)
    fail(counter, 'k', 3)
    clock.now += 15_500
    t.same(counter.begin('k'), { admitted: false, retryAfterSeconds: 45 })
  }
)

t.test('attempts that succeed are not counted and leave nothing behind', async (t) => {
  const { counter } = counterAt(2, 60_000)
  for (let attempt = 0; attempt < 10; attempt++) {
    t.same(counter.begin('k'), { admitted: true })
    counter.settle('k', false)
  }
  t.equal(counter.size, 0)
  fail(counter, 'k', 2)
  t.equal(counter.begin('k').admitted, false)
})

t.test('attempts in progress count against the limit until they are settled', async (t) => {
  const { counter } = counterAt(3, 60_000)
  const admitted = Array.from({ length: 5 }, () => counter.begin('k').admitted)
  t.same(admitted, [true, true, true, false, false])
  counter.settle('k', false)
  t.equal(counter.begin('k').admitted, true, 'a settled success frees its slot')
})

t.test('keys are counted apart', async (t) => {
  const { counter } = counterAt(1, 60_000)
  fail(counter, 'a', 1)
  t.equal(counter.begin('a').admitted, false)
  t.equal(counter.begin('b').admitted, true)
})

t.test('a new window starts once the old one has passed', async (t) => {
  const { counter, clock } = counterAt(2, 60_000)
  fail(counter, 'k', 2)
  clock.now += 59_999
  t.same(counter.begin('k'), { admitted: false, retryAfterSeconds: 1 })
  clock.now += 1
  t.equal(counter.begin('k').admitted, true)
})

t.test('an attempt never settled holds its slot only until the window ends', async (t) => {
  const { counter, clock } = counterAt(1, 60_000)
  t.equal(counter.begin('k').admitted, true)
  t.equal(counter.begin('k').admitted, false)
  clock.now += 60_000
  t.equal(counter.begin('k').admitted, true)
  counter.settle('k', false)
  counter.settle('k', false)
  t.equal(counter.size, 0, 'a late or repeated settling does nothing')
})

t.test('expired windows are dropped and at most maxKeys keys are kept', async (t) => {
  const { counter, clock } = counterAt(1, 60_000, 3)
  fail(counter, 'old', 1)
  clock.now += 60_000
  fail(counter, 'a', 1)
  t.equal(counter.size, 1, 'the expired window went when a new one started')
  fail(counter, 'b', 1)
  fail(counter, 'c', 1)
  fail(counter, 'd', 1)
  t.equal(counter.size, 3)
  t.equal(counter.begin('a').admitted, true, 'the oldest window was forgotten')
  t.equal(counter.begin('d').admitted, false, 'the newest is kept')
})
