import { readFileSync } from 'node:fs'

/**
 * Summarizes a V8 `.cpuprofile` (from `BENCH_CPU_PROF=dir npm run bench`): self time per package and the functions
 * with the most self time, and total (inclusive) time of the functions that match an optional filter.
 *   tsx bench/profile-summary.ts profile.cpuprofile [top=25] [inclusive-filter]
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topText = '25', filter] = process.argv.slice(2)
if (!file) throw new Error('usage: tsx bench/profile-summary.ts profile.cpuprofile [top] [inclusive-filter]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(topText)

const selfMicros = new Map<number, number>()
profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
// Percentages are of the time the thread was busy: idle time depends only on how long the run waited.
const total = [...selfMicros].reduce((sum, [id, micros]) => sum + (isIdle(byId.get(id)!) ? 0 : micros), 0)

const label = ({ callFrame }: ProfileNode) =>
  `${callFrame.functionName || '(anonymous)'} ${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}`
const packageOf = ({ callFrame }: ProfileNode) => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(callFrame.url)
  if (match) return match[1]!
  if (/\/(src|dist)\//.test(callFrame.url)) return 'ai-chat-api src'
  if (callFrame.url.startsWith('node:')) return 'node core'
  return callFrame.url === '' ? callFrame.functionName : callFrame.url
}

print(
  'self time by package',
  sumBy(profile.nodes, packageOf, (node) => selfMicros.get(node.id) ?? 0)
)
print(
  'self time by function',
  sumBy(profile.nodes, label, (node) => selfMicros.get(node.id) ?? 0)
)
if (filter) print(`inclusive time of functions matching "${filter}"`, inclusiveMatching(filter))

function inclusiveMatching(pattern: string): Map<string, number> {
  const inclusive = new Map<string, number>()
  const visit = (node: ProfileNode, insideMatch: Set<string>): number => {
    const own = selfMicros.get(node.id) ?? 0
    const name = label(node)
    const matches = name.includes(pattern) && !insideMatch.has(name)
    const inside = matches ? new Set([...insideMatch, name]) : insideMatch
    const sum = own + (node.children ?? []).reduce((acc, child) => acc + visit(byId.get(child)!, inside), 0)
    if (matches) inclusive.set(name, (inclusive.get(name) ?? 0) + sum)
    return sum
  }
  visit(profile.nodes[0]!, new Set())
  return inclusive
}

function isIdle(node: ProfileNode): boolean {
  return node.callFrame.functionName === '(idle)'
}

function sumBy(nodes: ProfileNode[], key: (node: ProfileNode) => string, value: (node: ProfileNode) => number) {
  const sums = new Map<string, number>()
  for (const node of nodes) if (!isIdle(node)) sums.set(key(node), (sums.get(key(node)) ?? 0) + value(node))
  return sums
}

function print(title: string, sums: Map<string, number>) {
  console.log(`\n${title} (% of ${(total / 1000).toFixed(0)} ms busy)`)
  for (const [name, micros] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`)
  }
}

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|dist|bench)\//, '$1/')
}
