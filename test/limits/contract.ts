import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { FailureCounter, Limits } from '../../src/limits/limits.js'

/** Makes limits that share nothing with those made before (a fresh map, or a fresh key prefix). */
export type LimitsFactory = () => Limits | Promise<Limits>

/** Windows and TTLs that no test outlives, and short ones that the tests of expiry wait out. */
const LONG_MS = 60_000
const SHORT_MS = 200
/** A bounded wait past a SHORT_MS window or TTL. */
const PAST_SHORT_MS = SHORT_MS + 100

/** Fails `times` attempts of the key in a row; throws when one is refused. */
export async function fail(counter: FailureCounter, key: string, times: number) {
  for (let attempt = 0; attempt < times; attempt++) {
    const admission = await counter.begin(key)
    if (!admission.admitted) throw new Error(`attempt ${attempt + 1} on ${key} was refused`)
    await counter.settle(key, true)
  }
}

/**
 * What every implementation of the limits port promises, on real time. Each test runs on fresh limits, closed when
 * it ends; a Redis implementation runs the same suite.
 */
export function limitsContract(t: Test, createLimits: LimitsFactory) {
  async function limitsFor(t: Test) {
    const limits = await createLimits()
    t.teardown(() => limits.close())
    return limits
  }

  t.test('failures: past the limit an attempt is refused with the wait until the window ends', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 3, windowMs: LONG_MS })
    await fail(counter, 'k', 3)
    const refusal = await counter.begin('k')
    t.equal(refusal.admitted, false)
    const { retryAfterSeconds } = refusal as { retryAfterSeconds: number }
    t.ok(retryAfterSeconds >= LONG_MS / 1000 - 1 && retryAfterSeconds <= LONG_MS / 1000, `${retryAfterSeconds}s`)
  })

  t.test('failures: attempts that succeed are not counted', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 2, windowMs: LONG_MS })
    for (let attempt = 0; attempt < 10; attempt++) {
      t.same(await counter.begin('k'), { admitted: true })
      await counter.settle('k', false)
    }
    await fail(counter, 'k', 2)
    t.equal((await counter.begin('k')).admitted, false)
  })

  t.test('failures: simultaneous attempts count against the limit until they are settled', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 3, windowMs: LONG_MS })
    const admissions = await Promise.all(Array.from({ length: 5 }, () => counter.begin('k')))
    t.same(admissions.map((admission) => admission.admitted).sort(), [false, false, true, true, true])
    await counter.settle('k', false)
    t.equal((await counter.begin('k')).admitted, true, 'a settled success frees its place')
  })

  t.test('failures: keys are counted apart', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 1, windowMs: LONG_MS })
    await fail(counter, 'a', 1)
    t.equal((await counter.begin('a')).admitted, false)
    t.equal((await counter.begin('b')).admitted, true)
  })

  t.test('failures: clearing a key lifts its refusal at once, and leaves other keys alone', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 2, windowMs: LONG_MS })
    await fail(counter, 'k', 2)
    await fail(counter, 'other', 2)
    t.equal(await counter.clear('k'), true)
    t.equal(await counter.clear('k'), false, 'a second clear finds nothing')
    await fail(counter, 'k', 2)
    t.equal((await counter.begin('k')).admitted, false, 'it counts afresh from zero')
    t.equal((await counter.begin('other')).admitted, false)
  })

  t.test('failures: clearing a prefix clears every key that starts with it, and only those', async (t) => {
    const limits = await limitsFor(t)
    const counter = limits.failures('logins', { limit: 1, windowMs: LONG_MS })
    const otherLimit = limits.failures('other-logins', { limit: 1, windowMs: LONG_MS })
    const cleared = ['alice 10.0.0.1', 'alice ::1', 'alice *[?]\\ glob-like']
    const kept = ['alice2 10.0.0.1', 'bob 10.0.0.1', 'xalice 10.0.0.1']
    for (const key of [...cleared, ...kept]) await fail(counter, key, 1)
    await fail(otherLimit, 'alice 10.0.0.1', 1)
    t.equal(await counter.clearStartingWith('alice '), cleared.length)
    for (const key of cleared) t.equal((await counter.begin(key)).admitted, true, `${key} is admitted again`)
    for (const key of kept) t.equal((await counter.begin(key)).admitted, false, `${key} is still refused`)
    t.equal((await otherLimit.begin('alice 10.0.0.1')).admitted, false, 'another limit of the same key is kept')
    t.equal(await counter.clearStartingWith('nobody '), 0)
  })

  t.test('failures: a glob pattern in the prefix is taken literally', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 1, windowMs: LONG_MS })
    await fail(counter, 'alice 10.0.0.1', 1)
    t.equal(await counter.clearStartingWith('a*'), 0)
    t.equal(await counter.clearStartingWith('?lice'), 0)
    t.equal((await counter.begin('alice 10.0.0.1')).admitted, false)
  })

  t.test('failures: a new window starts once the old one has passed', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 2, windowMs: SHORT_MS })
    await fail(counter, 'k', 2)
    t.same(await counter.begin('k'), { admitted: false, retryAfterSeconds: 1 })
    await sleep(PAST_SHORT_MS)
    t.equal((await counter.begin('k')).admitted, true)
  })

  t.test('failures: an attempt never settled holds its place only until the window ends', async (t) => {
    const counter = (await limitsFor(t)).failures('logins', { limit: 1, windowMs: SHORT_MS })
    t.equal((await counter.begin('k')).admitted, true)
    t.equal((await counter.begin('k')).admitted, false)
    await sleep(PAST_SHORT_MS)
    t.equal((await counter.begin('k')).admitted, true)
    await counter.settle('k', false)
    await counter.settle('k', false)
    t.equal((await counter.begin('k')).admitted, true, 'a late or repeated settling frees no extra place')
    t.equal((await counter.begin('k')).admitted, false)
  })

  t.test('failures: two counters of one name are one counter, and other names are apart', async (t) => {
    const limits = await limitsFor(t)
    const rule = { limit: 1, windowMs: LONG_MS }
    await fail(limits.failures('logins', rule), 'k', 1)
    t.equal((await limits.failures('logins', rule).begin('k')).admitted, false)
    t.equal((await limits.failures('passwords', rule).begin('k')).admitted, true)
  })

  t.test('windows: hits are counted per key in a window that starts with the first hit', async (t) => {
    const counter = (await limitsFor(t)).windows('registrations', { windowMs: LONG_MS })
    const counts = []
    for (let hit = 0; hit < 3; hit++) counts.push(await counter.hit('a'))
    t.same(
      counts.map(({ count }) => count),
      [1, 2, 3]
    )
    for (const { resetInMs } of counts) t.ok(resetInMs > LONG_MS - 1000 && resetInMs <= LONG_MS, `${resetInMs} ms`)
    t.equal((await counter.hit('b')).count, 1, 'another key has its own window')
  })

  t.test('windows: simultaneous hits are each counted once', async (t) => {
    const counter = (await limitsFor(t)).windows('registrations', { windowMs: LONG_MS })
    const counts = await Promise.all(Array.from({ length: 10 }, () => counter.hit('a')))
    t.same(
      counts.map(({ count }) => count).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    )
  })

  t.test('windows: a new window starts once the old one has passed', async (t) => {
    const counter = (await limitsFor(t)).windows('registrations', { windowMs: SHORT_MS })
    await counter.hit('a')
    await counter.hit('a')
    await sleep(PAST_SHORT_MS)
    const { count, resetInMs } = await counter.hit('a')
    t.equal(count, 1)
    t.ok(resetInMs > 0 && resetInMs <= SHORT_MS, `${resetInMs} ms`)
  })

  t.test('slots: a key holds at most its slots at once, and a released one is free again', async (t) => {
    const slots = (await limitsFor(t)).slots('chats', { maxPerKey: 2, ttlMs: LONG_MS })
    const first = await slots.acquire('alice')
    t.ok(first && (await slots.acquire('alice')))
    t.equal(await slots.acquire('alice'), undefined, 'the third is refused')
    t.ok(await slots.acquire('bob'), 'another key has its own slots')
    await first!.release()
    t.ok(await slots.acquire('alice'), 'the released slot is taken again')
    t.equal(await slots.acquire('alice'), undefined)
  })

  t.test('slots: simultaneous acquires take no more than the slots there are', async (t) => {
    const slots = (await limitsFor(t)).slots('chats', { maxPerKey: 2, ttlMs: LONG_MS })
    const taken = await Promise.all(Array.from({ length: 6 }, () => slots.acquire('alice')))
    t.equal(taken.filter((slot) => slot !== undefined).length, 2)
  })

  t.test('slots: releasing a slot twice gives back one slot only', async (t) => {
    const slots = (await limitsFor(t)).slots('chats', { maxPerKey: 2, ttlMs: LONG_MS })
    const slot = await slots.acquire('alice')
    await slots.acquire('alice')
    await slot!.release()
    await slot!.release()
    t.ok(await slots.acquire('alice'))
    t.equal(await slots.acquire('alice'), undefined)
  })

  t.test(
    'slots: a slot is held for as long as its instance runs, long past its TTL, until it is released',
    async (t) => {
      const slots = (await limitsFor(t)).slots('chats', { maxPerKey: 1, ttlMs: SHORT_MS })
      const held = await slots.acquire('alice')
      await sleep(3 * SHORT_MS)
      t.equal(await slots.acquire('alice'), undefined, 'still held three TTLs later')
      await held!.release()
      t.ok(await slots.acquire('alice'), 'and free once released')
    }
  )
}
