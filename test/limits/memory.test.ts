import t from 'tap'
import { createMemoryLimits } from '../../src/limits/memory.js'
import { fail, limitsContract } from './contract.js'

t.test('the memory limits keep the contract of the limits port', async (t) => {
  limitsContract(t, () => createMemoryLimits())
})

/** Memory limits on a clock the test moves by hand. */
function limitsAt(maxKeysPerLimit = 100) {
  const clock = { now: 1_000_000 }
  const limits = createMemoryLimits({ maxKeysPerLimit, now: () => clock.now })
  return { limits, clock }
}

t.test('a refusal waits exactly until the window that started with the first failure ends', async (t) => {
  const { limits, clock } = limitsAt()
  const counter = limits.failures('logins', { limit: 3, windowMs: 60_000 })
  await fail(counter, 'k', 3)
  clock.now += 15_500
  t.same(await counter.begin('k'), { admitted: false, retryAfterSeconds: 45 })
  clock.now += 44_499
  t.same(await counter.begin('k'), { admitted: false, retryAfterSeconds: 1 })
  clock.now += 1
  t.equal((await counter.begin('k')).admitted, true)
})

t.test('attempts that succeed, and settlings late or repeated, leave nothing behind', async (t) => {
  const { limits, clock } = limitsAt()
  const counter = limits.failures('logins', { limit: 1, windowMs: 60_000 })
  for (let attempt = 0; attempt < 10; attempt++) {
    await counter.begin('k')
    await counter.settle('k', false)
  }
  t.equal(limits.heldKeys(), 0)
  await counter.begin('k')
  clock.now += 60_000
  await counter.settle('k', false)
  await counter.settle('k', false)
  t.equal(limits.heldKeys(), 0)
})

t.test('released slots and hits leave only what is counted behind', async (t) => {
  const { limits } = limitsAt()
  const slots = limits.slots('chats', { maxPerKey: 2, ttlMs: 60_000 })
  const held = await Promise.all([slots.acquire('alice'), slots.acquire('alice'), slots.acquire('bob')])
  t.equal(limits.heldKeys(), 2)
  await Promise.all(held.map((slot) => slot!.release()))
  t.equal(limits.heldKeys(), 0)
  await limits.windows('registrations', { windowMs: 60_000 }).hit('a')
  t.equal(limits.heldKeys(), 1, 'a window counts every hit, so it stays until it expires')
})

t.test('expired windows are dropped and at most maxKeysPerLimit keys are kept per limit', async (t) => {
  const { limits, clock } = limitsAt(3)
  const counter = limits.failures('logins', { limit: 1, windowMs: 60_000 })
  await fail(counter, 'old', 1)
  clock.now += 60_000
  await fail(counter, 'a', 1)
  t.equal(limits.heldKeys(), 1, 'the expired window went when a new one started')
  for (const key of ['b', 'c', 'd']) await fail(counter, key, 1)
  t.equal(limits.heldKeys(), 3)
  t.equal((await counter.begin('a')).admitted, true, 'the oldest window was forgotten')
  t.equal((await counter.begin('d')).admitted, false, 'the newest is kept')

  const registrations = limits.windows('registrations', { windowMs: 60_000 })
  for (const key of ['w', 'x', 'y', 'z']) await registrations.hit(key)
  t.equal(limits.heldKeys(), 6, 'each limit has its own bound')
  t.equal((await registrations.hit('w')).count, 1, 'the oldest window was forgotten')
})

t.test('a name stands for one rule', async (t) => {
  const { limits } = limitsAt()
  limits.failures('logins', { limit: 3, windowMs: 60_000 })
  t.throws(() => limits.failures('logins', { limit: 4, windowMs: 60_000 }), /the limit logins is already another rule/)
  t.throws(() => limits.windows('logins', { windowMs: 60_000 }), /already another rule/)
})
