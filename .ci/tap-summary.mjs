// Reads the TAP that `npm test` printed and ends CI's output with what CI reads: each failed test's path and
// diagnostics (the coverage table would otherwise bury them) and the plain "N passed, M failed" line.
import { readFileSync } from 'node:fs'

const lines = readFileSync(process.argv[2], 'utf8').split('\n')

// A failure is reported at every level that contains it; the innermost one, with its YAML block, says what failed.
const failures = []
const path = []
lines.forEach((line, index) => {
  const subtest = line.match(/^(\s*)# Subtest: (.*)$/)
  if (subtest) path[subtest[1].length / 4] = subtest[2]
  const failed = line.match(/^(\s*)not ok \d+ - (.*)$/)
  if (!failed) return
  const depth = failed[1].length / 4
  const diagnostics = []
  for (let next = index + 1; next < lines.length && lines[next].startsWith(`${failed[1]}  `); next++) {
    diagnostics.push(lines[next])
    if (lines[next].trim() === '...') break
  }
  failures.push({ depth, title: [...path.slice(0, depth), failed[2]].join(' > '), diagnostics })
})
const innermost = failures.filter((failure, index) => !(failures[index - 1]?.depth > failure.depth))
if (innermost.length > 0) {
  console.log(`\nFailed (${innermost.length}):`)
  for (const { title, diagnostics } of innermost) console.log(`- ${title}\n${diagnostics.slice(0, 30).join('\n')}`)
}

// tap closes with a line such as "# { total: 120, pass: 118, fail: 2 }".
const summary = [...lines].reverse().find((line) => /^# \{ total: \d+/.test(line))
if (!summary) {
  console.log('0 passed, 1 failed')
} else {
  const count = (key) => Number((summary.match(new RegExp(`${key}: (\\d+)`)) ?? [0, 0])[1])
  const failed = count('fail') || count('total') - count('pass') - count('skip') - count('todo')
  console.log(`${count('pass')} passed, ${failed} failed` + (count('skip') ? `, ${count('skip')} skipped` : ''))
}
