import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000

export interface ServerProcess {
  name: string
  url: string
  pid: number
  /** Peak resident set size since start or since the last `resetPeakRss`, from /proc/<pid>/status VmHWM. */
  peakRssBytes(): number | undefined
  /** Restarts the peak-RSS count (Linux `clear_refs` 5); false where the kernel does not allow it. */
  resetPeakRss(): boolean
  stop(): Promise<void>
}

export interface ServerLaunch {
  name: string
  /** The entry point, relative to the repository root: TypeScript runs through tsx, as `npm start` does. */
  script: string
  env: Record<string, string>
  nodeArgs?: string[]
}

/** Starts a TypeScript entry point in its own Node process on a free port and waits until it answers HTTP. */
export async function startServer({ name, script, env, nodeArgs = [] }: ServerLaunch): Promise<ServerProcess> {
  const port = await freePort()
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = spawn(process.execPath, [...loader, ...nodeArgs, script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  // The table goes to stdout; whatever the servers say goes to stderr, labelled.
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => process.stderr.write(prefixLines(`[${name}] `, chunk.toString())))
  }
  const exited = once(child, 'exit')
  const url = `http://127.0.0.1:${port}`
  await Promise.race([
    waitUntilAnswering(url),
    exited.then(([code]) => Promise.reject(new Error(`${name} exited with code ${code} before it was ready`)))
  ])
  const pid = child.pid!

  return {
    name,
    url,
    pid,
    peakRssBytes: () => {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      return match ? Number(match[1]) * 1024 : undefined
    },
    resetPeakRss: () => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5')
        return true
      } catch {
        return false
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    }
  }
}

async function waitUntilAnswering(url: string) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`${url} did not answer within ${READY_TIMEOUT_MS} ms`)
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('could not find a free port')
  return address.port
}

function prefixLines(prefix: string, text: string): string {
  return text.replace(/^(?=.)/gm, prefix)
}
