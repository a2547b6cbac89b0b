import { readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import t from 'tap'
import { EnvSchema, loadConfig } from '../src/config.js'

const EXAMPLE = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')

/** Every variable the file names, set or commented out (`# NAME=`), in the order of the file. */
const named = [...EXAMPLE.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!)
const set = parseEnv(EXAMPLE)

t.test('.env.example names every variable of the environment schema once, in the schema order', async (t) => {
  t.same(named, Object.keys(EnvSchema.properties))
})

t.test('.env.example sets each variable that has a default to that default, and leaves the others unset', async (t) => {
  for (const [name, schema] of Object.entries(EnvSchema.properties)) {
    const expected = 'default' in schema ? String(schema.default) : undefined
    t.equal(set[name], expected, name)
  }
})

t.test('.env.example, as it stands, is the default configuration', async (t) => {
  t.same(loadConfig(set), loadConfig({}))
})
