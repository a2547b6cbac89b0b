import { loadavg } from 'node:os'
import { describeMachine, machineLine } from './machine.js'
import { measureAgainstFakeUpstream, meteredRun, withMeteredService, type MeteredStore } from './metered-service.js'
import { progress } from './progress.js'
import { roundedToMicroseconds, updateResults } from './results-file.js'
import {
  checkUnderLoad,
  formatUnderLoadChecks,
  formatUnderLoadTable,
  holds,
  UNDER_LOAD_TARGET,
  type UnderLoadResult
} from './under-load-report.js'
import { measureAtRate, type RateMeasurement } from './under-load-rounds.js'
import { readUnderLoadSettings } from './under-load-settings.js'

/**
 * What the service adds to a call's latency under load: open loops of evenly spaced calls at fixed rates to the tests'
 * fake OpenAI server answering after 50 ms, directly and through the service, in interleaved rounds, stepping the rate
 * up. SQLite always, and PostgreSQL on a database of its own when BENCH_DATABASE_URL names a server. Method and knobs:
 * bench/NOTES.md, "Under load".
 */
const settings = readUnderLoadSettings(process.env)
const run = meteredRun('ai-chat-under-load', settings.answerDelayMs, settings)

const loadBefore = loadavg()[0]!
const startedAt = Date.now()
try {
  const { results, postgres } = await measureAgainstFakeUpstream(run, measureOnStore)
  const machine = describeMachine(loadBefore, postgres)
  const checks = checkUnderLoad(results)
  const { rounds, durationSeconds, warmupSeconds, answerDelayMs, users } = settings
  const measured =
    `${rounds} rounds × ${durationSeconds} s per side and rate after ${warmupSeconds} s of warm-up, ` +
    `upstream answering after ${answerDelayMs} ms, ${users} users`
  console.log(machineLine(machine, measured) + '\n')
  console.log(formatUnderLoadTable(results) + '\n')
  console.log(formatUnderLoadChecks(results, checks))
  const { cpuProfileDir: _profileDir, postgresServerUrl: _server, resultsFile, ...runSettings } = settings
  const underLoad = {
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - startedAt) / 1000),
    machine,
    settings: runSettings,
    target: UNDER_LOAD_TARGET,
    checks,
    paths: results
  }
  updateResults(resultsFile, { underLoad: roundedToMicroseconds(underLoad) })
  progress(`wrote the measurements under load into ${resultsFile}`)
} finally {
  await run.resources.cleanUp()
}

/**
 * Steps each selected path through the rates on the service running on the store, the calls going round the users. A
 * rate at or above the target's that does not hold ends the path's steps: a higher one would only queue more.
 */
async function measureOnStore(store: MeteredStore): Promise<UnderLoadResult[]> {
  return withMeteredService(store, run, settings.users, async (pathsByUser) => {
    const results: UnderLoadResult[] = []
    for (const id of settings.paths) {
      const pathOfEachUser = pathsByUser.map((paths) => paths.find((path) => path.id === id)!)
      const { title } = pathOfEachUser[0]!
      const rates: RateMeasurement[] = []
      for (const rate of settings.rates) {
        const measured = await measureAtRate(pathOfEachUser, rate, settings)
        rates.push(measured)
        const { added, failures } = measured
        progress(
          `${store.database}: ${title} at ${rate} req/s: added p50 ${added.p50.toFixed(3)} ms, ` +
            `p99 ${added.p99.toFixed(3)} ms, ${failures.service} refused (direct ${failures.direct}), ` +
            `load average ${measured.loadAverage.toFixed(1)}`
        )
        if (!holds(measured) && rate >= UNDER_LOAD_TARGET.rate) break
      }
      results.push({ path: id, title, database: store.database, rates })
    }
    return results
  })
}
