// Module hooks that run TypeScript in place, as tap's ts-node plugin did, with the same compiler (`transpileModule`,
// so coverage maps back exactly as before) but with the output cached on disk: each of the ~110 test processes and the
// servers they start used to transpile all of src/ again, which was most of the suite's CPU time. TypeScript itself
// is loaded only on a cache miss.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = new URL('../../', import.meta.url)
const require = createRequire(ROOT)
const CACHE = fileURLToPath(new URL('node_modules/.cache/ai-chat-api-typescript/', ROOT))
const TYPESCRIPT_VERSION = require('typescript/package.json').version
// tsconfig.json's options, emitting ES modules (the package is "type": "module") with a source map for coverage.
const COMPILER_OPTIONS = {
  ...JSON.parse(readFileSync(new URL('tsconfig.json', ROOT), 'utf8')).compilerOptions,
  module: 'ESNext',
  moduleResolution: 'Bundler',
  noEmit: false,
  sourceMap: true,
  inlineSources: true,
  inlineSourceMap: false,
  declaration: false
}
const OPTIONS_KEY = JSON.stringify([TYPESCRIPT_VERSION, COMPILER_OPTIONS])

let typescript
function transpile(source, fileName) {
  typescript ??= require('typescript')
  const { options } = typescript.convertCompilerOptionsFromJson(COMPILER_OPTIONS, fileURLToPath(ROOT))
  const { outputText, sourceMapText } = typescript.transpileModule(source, { compilerOptions: options, fileName })
  const map = { ...JSON.parse(sourceMapText), file: fileName, sources: [fileName] }
  delete map.sourceRoot
  const code = outputText.replace(/\n\/\/# sourceMappingURL=.*$/, '')
  return `${code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`
}

// One slot per source file, so that the cache does not grow with every edit; the first line says which source and
// options the output is of.
function cached(source, fileName) {
  const slot = join(CACHE, `${createHash('sha256').update(fileName).digest('hex')}.js`)
  const stamp = `//${createHash('sha256').update(OPTIONS_KEY).update('\0').update(source).digest('hex')}\n`
  const found = existsSync(slot) ? readFileSync(slot, 'utf8') : ''
  if (found.startsWith(stamp)) return found.slice(stamp.length)
  const output = transpile(source, fileName)
  // Written aside and renamed, so that a process running beside this one never reads half a file.
  mkdirSync(CACHE, { recursive: true })
  const partial = `${slot}.${process.pid}.partial`
  writeFileSync(partial, stamp + output)
  renameSync(partial, slot)
  return output
}

// Sources import each other as `./file.js` (NodeNext style); the file on disk is `./file.ts`.
export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.endsWith('.ts') && /^\.{1,2}\/.*\.js$/.test(specifier)) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL)
    if (existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true }
  }
  return nextResolve(specifier, context)
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context)
  const fileName = fileURLToPath(url)
  return { format: 'module', source: cached(readFileSync(fileName, 'utf8'), fileName), shortCircuit: true }
}
