import { loadavg } from 'node:os'
import { describeMachine, machineLine } from './machine.js'
import { measureAgainstFakeUpstream, meteredRun, withMeteredService, type MeteredStore } from './metered-service.js'
import { SequentialClient } from './overhead-client.js'
import {
  checkOverhead,
  formatMisses,
  formatOverheadTable,
  formatServerTimingTable,
  type OverheadResult
} from './overhead-report.js'
import { measurePath } from './overhead-rounds.js'
import { readOverheadSettings } from './overhead-settings.js'
import { progress } from './progress.js'
import { roundedToMicroseconds, updateResults } from './results-file.js'

/**
 * What the service adds to a call's latency: sequential calls on loopback to the tests' fake OpenAI server, directly
 * and through the service (chat messages and `/v1`, plain and streamed), in interleaved rounds. SQLite always, and
 * PostgreSQL on a database of its own when BENCH_DATABASE_URL names a server. Method and knobs: bench/NOTES.md,
 * "Overhead".
 */
const settings = readOverheadSettings(process.env)
const run = meteredRun('ai-chat-overhead', 0, settings)

const loadBefore = loadavg()[0]!
try {
  const { results, postgres } = await measureAgainstFakeUpstream(run, measureOnStore)
  const machine = describeMachine(loadBefore, postgres)
  const checks = checkOverhead(results)
  const { rounds, requestsPerRound, warmupRequests } = settings
  console.log(
    machineLine(
      machine,
      `${rounds} rounds × ${requestsPerRound} sequential calls per side, ${warmupRequests} warm-up`
    ) + '\n'
  )
  console.log(formatOverheadTable(results, checks))
  console.log('\nServer-Timing, medians in ms (a stream names the phases until it opens):\n')
  console.log(formatServerTimingTable(results))
  const misses = formatMisses(results, checks)
  if (misses) console.log(`\nMissed, and why:\n\n${misses}`)
  const { cpuProfileDir: _profileDir, postgresServerUrl: _server, resultsFile, ...runSettings } = settings
  const overhead = { date: new Date().toISOString(), machine, settings: runSettings, targets: checks, paths: results }
  updateResults(resultsFile, { overhead: roundedToMicroseconds(overhead) })
  progress(`wrote the overhead into ${resultsFile}`)
} finally {
  await run.resources.cleanUp()
}

/** Measures each selected path on the service running on the store, one user calling. */
async function measureOnStore(store: MeteredStore): Promise<OverheadResult[]> {
  const clients = { direct: new SequentialClient(), service: new SequentialClient() }
  try {
    return await withMeteredService(store, run, 1, async ([paths]) => {
      const results: OverheadResult[] = []
      for (const path of paths!.filter((candidate) => settings.paths.includes(candidate.id))) {
        const measured = await measurePath(path, clients, settings)
        results.push({ path: path.id, title: path.title, database: store.database, ...measured })
        progress(
          `${store.database}: ${path.title}: direct p50 ${measured.median.direct.p50.toFixed(3)} ms, ` +
            `added p50 ${measured.added.p50.toFixed(3)} ms, p99 ${measured.added.p99.toFixed(3)} ms`
        )
      }
      return results
    })
  } finally {
    clients.direct.close()
    clients.service.close()
  }
}
