import t from 'tap'
import { failOpen, reportUnavailable } from '../../src/limits/fail-open.js'
import type { Limits } from '../../src/limits/limits.js'

const unreachable = new Error('the limits cannot be reached')
const rejecting = () => Promise.reject(unreachable)

/** Limits whose every call rejects, as Redis limits do while Redis is down. */
const downLimits = {
  slots: () => ({ acquire: rejecting }),
  failures: () => ({ begin: rejecting, settle: rejecting, clear: rejecting, clearStartingWith: rejecting }),
  windows: () => ({ hit: rejecting }),
  checkReadiness: async () => 'unreachable',
  close: async () => {}
} as Limits

t.test('calls that cannot reach the limits admit, and each is reported', async (t) => {
  const reported: unknown[] = []
  const limits = failOpen(downLimits, (error) => reported.push(error))
  const slot = await limits.slots('chats', { maxPerKey: 1, ttlMs: 1000 }).acquire('alice')
  t.ok(slot, 'a slot is given')
  await slot!.release()
  const failures = limits.failures('logins', { limit: 1, windowMs: 1000 })
  t.same(await failures.begin('k'), { admitted: true })
  await failures.settle('k', true)
  t.same(await limits.windows('chats', { windowMs: 60_000 }).hit('alice'), { count: 0, resetInMs: 60_000 })
  t.same(reported, [unreachable, unreachable, unreachable, unreachable])
  t.equal(await limits.checkReadiness(), 'unreachable')
})

t.test('clearing failures does not fail open: the caller hears that the limits cannot be reached', async (t) => {
  const reported: unknown[] = []
  const failures = failOpen(downLimits, (error) => reported.push(error)).failures('logins', { limit: 1, windowMs: 1 })
  await t.rejects(failures.clear('k'), unreachable)
  await t.rejects(failures.clearStartingWith('k'), unreachable)
  t.same(reported, [], 'nothing was admitted, so nothing is reported')
})

t.test('every failed-open call is counted, and warned about at most once per interval', async (t) => {
  const clock = { now: 0 }
  let counted = 0
  const warnings: unknown[] = []
  const report = reportUnavailable({
    count: () => (counted += 1),
    warn: (details) => warnings.push(details),
    intervalMs: 30_000,
    now: () => clock.now
  })
  for (let call = 0; call < 5; call++) report(unreachable)
  clock.now += 29_999
  report(unreachable)
  t.same(warnings, [{ err: unreachable, failedOpenSinceLastWarning: 1 }])
  clock.now += 1
  report(unreachable)
  t.same(warnings[1], { err: unreachable, failedOpenSinceLastWarning: 6 }, 'the next says how many went by unwarned')
  t.equal(counted, 7)
})
