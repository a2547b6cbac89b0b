import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './servers.js'

export interface Runtime {
  env: Record<string, string>
  nodeArgs: string[]
}

const ENTRY_POINT = 'dist/server.js'

/**
 * The environment and Node flags of `npm run serve`, the command the service is deployed with, read from package.json
 * so that the bench measures exactly that: `VAR=value … node --flag … dist/server.js`. Why each setting is there:
 * README, Deploying; what each gained: bench/NOTES.md, changes 9 and 14.
 */
export function productionRuntime(): Runtime {
  const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  const words = packageJson.scripts.serve!.trim().split(/\s+/)
  const node = words.indexOf('node')
  if (node < 0 || words.at(-1) !== ENTRY_POINT) {
    throw new Error(`the serve script is not "VAR=value … node --flag … ${ENTRY_POINT}": ${packageJson.scripts.serve}`)
  }
  const env = Object.fromEntries(words.slice(0, node).map((assignment) => assignment.split('=', 2) as [string, string]))
  return { env, nodeArgs: words.slice(node + 1, -1) }
}

/** Compiles the service into dist/ with `npm run build`, the build it is deployed from; returns the milliseconds taken. */
export function buildService(): number {
  const start = Date.now()
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  return Date.now() - start
}
