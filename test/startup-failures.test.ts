import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { TEST_ENV } from './helper.js'
import { scratchDirectory } from './scratch-directory.js'

/** Runs `src/server.ts` through bash (so that a test can set ulimits first) and gathers what it says and its status. */
function startServer(databaseUrl: string, bashPrelude = '', env: Record<string, string> = {}) {
  // Without the NODE_OPTIONS tap adds to every child: its process tracking writes a file at exit, which a ulimit refuses.
  const script = `${bashPrelude} unset NODE_OPTIONS; exec "$0" --import tsx src/server.ts`
  const child = spawn('bash', ['-c', script, process.execPath], {
    env: { ...process.env, ...TEST_ENV, PORT: '0', DATABASE_URL: databaseUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (status) => resolve({ status, stdout, stderr }))
  )
}

t.test('start-up on a full disk ends with one line that says so, and status 1', async (t) => {
  const databaseUrl = join(scratchDirectory(t), 'db.sqlite')
  // Writes past 64 KiB fail with EFBIG, which SQLite reports as a full disk or an I/O error.
  const { status, stdout, stderr } = await startServer(databaseUrl, 'trap "" XFSZ; ulimit -f 64;')
  t.equal(status, 1)
  t.match(stderr, new RegExp(`^Cannot use the database ${databaseUrl}: .*(full|I/O)[^\\n]*\\n$`), stderr)
  t.equal(stdout, '')
})

t.test('a database folder that cannot be made ends the start with one line, and status 1', async (t) => {
  const notAFolder = join(scratchDirectory(t), 'not-a-folder')
  writeFileSync(notAFolder, '')
  const databaseUrl = join(notAFolder, 'db.sqlite')
  const { status, stdout, stderr } = await startServer(databaseUrl)
  t.equal(status, 1)
  t.match(stderr, new RegExp(`^Cannot use the database ${databaseUrl}: E[A-Z]+: [^\\n]*\\n$`), stderr)
  t.equal(stdout, '')
})

t.test('a models file with a bad entry ends the start with one line naming it, and status 1', async (t) => {
  const folder = scratchDirectory(t)
  const modelsFile = join(folder, 'models.json')
  const models = {
    default: 'small',
    models: {
      small: { request: 1, input: 0.15, cached_input: 0.075, output: 0.6, max_output_tokens: 1024 },
      large: { request: 5, input: 2.5, cached_input: 1.25, output: 0.0000001, max_output_tokens: 4096 }
    }
  }
  writeFileSync(modelsFile, JSON.stringify(models))
  const env = { MODELS_FILE: modelsFile, AI_PROVIDER: 'openai', AI_BASE_URL: 'http://127.0.0.1:9/v1' }
  const { status, stdout, stderr } = await startServer(join(folder, 'db.sqlite'), '', env)
  t.equal(status, 1)
  t.equal(stderr, `MODELS_FILE ${modelsFile}: models.large.output: has more than 6 decimal places\n`)
  t.equal(stdout, '')
})
