import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { startServer } from './server-process.js'

/**
 * The README's curl walkthrough, run in order against a server started as `npm start` does: every documented answer
 * must be the server's. An expected answer is the `# …` lines under a command (a bare `#` is a blank line, and blank
 * lines are not compared); `…` stands for any text (a whole line of `…` for any lines), a date-time for any date-time.
 */
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

interface Step {
  command: string
  expected: string[]
}

type Line = { kind: 'command'; text: string } | { kind: 'assign'; name: string } | { kind: 'answer'; text: string }

function walkthrough(): Line[] {
  const section = README.slice(README.indexOf('### curl'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!
  const lines: Line[] = []
  let command: string[] = []
  let answering = false
  for (const line of block.split('\n')) {
    if (command.length > 0 || line.startsWith('curl ')) {
      command.push(line.replace(/\\$/, ''))
      if (!line.endsWith('\\')) {
        lines.push({ kind: 'command', text: command.join(' ') })
        command = []
        answering = true
      }
      continue
    }
    const assignment = /^([A-Z]+)=eyJ…/.exec(line)
    if (assignment) lines.push({ kind: 'assign', name: assignment[1]! })
    else if (answering && line === '#') continue
    else if (answering && line.startsWith('# ')) lines.push({ kind: 'answer', text: line.slice(2) })
    else answering = false
  }
  return lines
}

function steps(lines: Line[]): (Step | { assign: string })[] {
  const result: (Step | { assign: string })[] = []
  for (const line of lines) {
    if (line.kind === 'command') result.push({ command: line.text, expected: [] })
    else if (line.kind === 'assign') result.push({ assign: line.name })
    else (result.at(-1) as Step).expected.push(line.text)
  }
  return result
}

const DATE_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g

function pattern(expected: string[]): RegExp {
  const lines = expected.map((line) =>
    line === '…'
      ? '[\\s\\S]*?'
      : line
          .split('…')
          .map((part) =>
            part
              .split(DATE_TIME)
              .map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
              .join('\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z')
          )
          .join('.*?')
  )
  return new RegExp(`^${lines.join('\\n')}$`)
}

t.test('the README’s curl walkthrough answers as documented, step by step', async (t) => {
  const { baseUrl } = await startServer(t)
  const host = new URL(baseUrl).host
  const variables: Record<string, string> = {}
  let lastAnswer: Record<string, unknown> = {}
  const run = promisify(execFile)

  for (const step of steps(walkthrough())) {
    if ('assign' in step) {
      const value = lastAnswer[step.assign.toLowerCase()]
      if (typeof value !== 'string') throw new Error(`no ${step.assign} to take from the answer before it`)
      variables[step.assign] = value
      continue
    }
    const command = step.command.replaceAll('localhost:3000', host)
    const { stdout } = await run('bash', ['-c', command], { env: { ...process.env, ...variables } })
    const answer = stdout
      .split('\n')
      .filter((line) => line !== '')
      .join('\n')
    if (answer.startsWith('{')) lastAnswer = JSON.parse(answer)
    if (step.expected.length === 0) {
      t.ok(answer.length > 0, `${step.command} answers`)
      continue
    }
    t.match(answer, pattern(step.expected), step.command)
  }
})
