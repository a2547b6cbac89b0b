import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { TEST_ENV } from './helper.js'
import { scratchDirectory } from './scratch-directory.js'

export interface LogLine {
  msg: string
  reqId?: string
  [key: string]: unknown
}

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url))

export interface ServerOptions {
  umask?: number
  databaseUrl?: string
  /** The working directory, where the server looks for a `.env` file; the repository's by default. */
  cwd?: string
}

/**
 * Starts `src/server.ts` in a child process, as `npm start` does (under `umask` if given, on `databaseUrl` if given),
 * and follows its JSON log lines.
 */
export async function startServer(
  t: Test,
  env: Record<string, string> = {},
  { umask, databaseUrl = join(scratchDirectory(t), 'server.sqlite'), cwd }: ServerOptions = {}
) {
  const command = [process.execPath, '--import', import.meta.resolve('tsx'), SERVER]
  // A shell sets the umask and then becomes the server, which runs under it from its first file on, as under systemd.
  const [file, ...args] =
    umask === undefined ? command : ['sh', '-c', `umask ${umask.toString(8)} && exec "$@"`, 'sh', ...command]
  const child = spawn(file!, args, {
    env: {
      ...process.env,
      // tap follows child processes; measured under tsx's source maps rather than tap's, this one would garble the
      // coverage report, so it runs unmeasured.
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      ...TEST_ENV,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      ...env
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const lines: LogLine[] = []
  const waiters: Array<{ matches: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = []
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine
    lines.push(line)
    for (const waiter of waiters.filter(({ matches }) => matches(line))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  })
  /** Resolves with the first log line, past or future, that matches; the tap timeout bounds the wait. */
  const logged = (matches: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve) => {
      const seen = lines.find(matches)
      if (seen) resolve(seen)
      else waiters.push({ matches, resolve })
    })
  const listening = await logged((line) => line.msg.startsWith('Server listening at http://127.0.0.1:'))
  const baseUrl = listening.msg.replace('Server listening at ', '')
  return { child, exited, logged, lines, baseUrl, databaseUrl }
}
