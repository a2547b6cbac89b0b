import { join } from 'node:path'
import t, { type Test } from 'tap'
import { loadModelsFile, parseModels, singleModelCatalog, type ModelCatalog } from '../../src/pricing/models.js'

const SOURCE = 'MODELS_FILE ./models.json'

const small = {
  upstream: 'gpt-4o-mini',
  request: 1,
  input: 0.15,
  cached_input: 0.075,
  output: 0.6,
  max_output_tokens: 1024
}
const large = { input: '2.5', cached_input: '1.25', output: '10', max_output_tokens: 4096, description: 'The big one' }

function fileWith(models: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { default: 'small', ...extra, models: { small, ...models } }
}

function assertRefused(t: Test, json: unknown, message: string) {
  t.throws(() => parseModels(json, SOURCE), { name: 'ConfigError', message: `${SOURCE}: ${message}` })
}

t.test('a models file gives every model with exact prices, and the default', async (t) => {
  const catalog = parseModels(fileWith({ large }), SOURCE)
  const expectedSmall = {
    id: 'small',
    upstream: 'gpt-4o-mini',
    description: undefined,
    request: 1,
    input: 150_000n,
    cachedInput: 75_000n,
    output: 600_000n,
    maxOutputTokens: 1024
  }
  t.same(catalog.defaultModel, expectedSmall)
  t.same(
    [...catalog.models],
    [
      ['small', expectedSmall],
      [
        'large',
        {
          id: 'large',
          upstream: 'large',
          description: 'The big one',
          request: 0,
          input: 2_500_000n,
          cachedInput: 1_250_000n,
          output: 10_000_000n,
          maxOutputTokens: 4096
        }
      ]
    ]
  )
  t.equal(catalog.defaultModel, catalog.models.get('small'))
})

t.test('the only model is the default when the file names none', async (t) => {
  const catalog = parseModels({ models: { large } }, SOURCE)
  t.equal(catalog.defaultModel.id, 'large')
})

t.test('a default is required when there is more than one model', async (t) => {
  assertRefused(t, { models: { small, large } }, 'default: required when there is more than one model (small, large)')
})

t.test('the default must be one of the models', async (t) => {
  assertRefused(t, fileWith({ large }, { default: 'huge' }), 'default "huge" is not one of the models (small, large)')
})

t.test('a price with more than 6 decimal places is refused, naming the model and the price', async (t) => {
  assertRefused(
    t,
    fileWith({ large: { ...large, output: 0.0000001 } }),
    'models.large.output: has more than 6 decimal places'
  )
  assertRefused(
    t,
    fileWith({ large: { ...large, input: '0.1234567' } }),
    'models.large.input: has more than 6 decimal places'
  )
})

t.test('a negative or non-numeric price is refused, naming the model and the price', async (t) => {
  const message = 'must be a non-negative number (credits per 1M tokens), such as 0.15'
  assertRefused(t, fileWith({ large: { ...large, cached_input: -1 } }), `models.large.cached_input: ${message}`)
  assertRefused(t, fileWith({ large: { ...large, output: 'ten' } }), `models.large.output: ${message}`)
  assertRefused(t, fileWith({ large: { ...large, output: null } }), `models.large.output: ${message}`)
  assertRefused(t, fileWith({ large: { ...large, input: 1e10 } }), 'models.large.input: must be at most 1000000000')
})

t.test('every token price is required', async (t) => {
  for (const price of ['input', 'cached_input', 'output']) {
    const { [price as keyof typeof large]: _omitted, ...entry } = large
    assertRefused(t, fileWith({ large: entry }), `models.large.${price}: Expected required property`)
  }
})

t.test('a model that costs nothing is refused', async (t) => {
  const free = { request: 0, input: 0, cached_input: '0', output: 0 }
  assertRefused(t, fileWith({ free }), 'models.free: every price is 0; set request or a token price above 0')
  t.equal(parseModels(fileWith({ perCall: { ...free, request: 2 } }), SOURCE).models.get('perCall')?.request, 2)
  t.equal(
    parseModels(fileWith({ cached: { ...free, cached_input: 0.01 } }), SOURCE).models.get('cached')?.cachedInput,
    10_000n
  )
})

t.test('a model with an output price needs max_output_tokens, which bounds its hold', async (t) => {
  const { max_output_tokens: _omitted, ...entry } = large
  assertRefused(
    t,
    fileWith({ large: entry }),
    'models.large.max_output_tokens: required when output is above 0 (it bounds the hold)'
  )
  const perCall = parseModels(fileWith({ perCall: { request: 3, input: 0.5, cached_input: 0.5, output: 0 } }), SOURCE)
  t.equal(perCall.models.get('perCall')?.maxOutputTokens, undefined)
})

t.test('request and max_output_tokens must be whole numbers in range', async (t) => {
  assertRefused(t, fileWith({ large: { ...large, request: 1.5 } }), 'models.large.request: Expected integer')
  assertRefused(
    t,
    fileWith({ large: { ...large, request: -1 } }),
    'models.large.request: Expected integer to be greater or equal to 0'
  )
  assertRefused(
    t,
    fileWith({ large: { ...large, request: 1e9 + 1 } }),
    'models.large.request: Expected integer to be less or equal to 1000000000'
  )
  assertRefused(
    t,
    fileWith({ large: { ...large, max_output_tokens: 0 } }),
    'models.large.max_output_tokens: Expected integer to be greater or equal to 1'
  )
  assertRefused(
    t,
    fileWith({ large: { ...large, max_output_tokens: 1_000_001 } }),
    'models.large.max_output_tokens: Expected integer to be less or equal to 1000000'
  )
})

t.test('upstream and description must be strings, upstream not empty', async (t) => {
  assertRefused(
    t,
    fileWith({ large: { ...large, upstream: '' } }),
    'models.large.upstream: Expected string length greater or equal to 1'
  )
  assertRefused(t, fileWith({ large: { ...large, description: 7 } }), 'models.large.description: Expected string')
})

t.test('an unknown setting is refused, in a model or at the top', async (t) => {
  assertRefused(t, fileWith({ large: { ...large, cached: 0.1 } }), 'models.large.cached: Unexpected property')
  assertRefused(t, fileWith({ large }, { defaults: 'small' }), 'defaults: Unexpected property')
})

t.test('a model id is 1 to 64 characters of letters, digits and . _ : / -', async (t) => {
  const rule = 'is not a model id (1 to 64 characters of A-Z a-z 0-9 . _ : / -)'
  assertRefused(t, fileWith({ 'gpt 4o': large }), `models.gpt 4o: ${rule}`)
  assertRefused(t, fileWith({ ['m'.repeat(65)]: large }), `models.${'m'.repeat(65)}: ${rule}`)
  assertRefused(t, fileWith({ é: large }), `models.é: ${rule}`)
  const id = 'openai/gpt-4.1:mini_2025-04-'.padEnd(64, 'x')
  t.equal(id.length, 64)
  t.ok(parseModels(fileWith({ [id]: large }), SOURCE).models.has(id))
  assertRefused(
    t,
    fileWith({ 'openai/gpt-4o': { ...large, input: true } }),
    'models.openai/gpt-4o.input: must be a non-negative number (credits per 1M tokens), such as 0.15'
  )
})

t.test('the file must be an object with at least one model', async (t) => {
  assertRefused(t, null, 'Expected object')
  assertRefused(t, [], 'Expected object')
  assertRefused(t, {}, 'models: Expected required property')
  assertRefused(t, { models: {} }, 'models: Expected object to have at least 1 properties')
  assertRefused(t, { models: { small: 'cheap' } }, 'models.small: Expected object')
})

t.test('loadModelsFile reads a UTF-8 JSON file, with or without a byte order mark', async (t) => {
  const dir = t.testdir({
    'models.json': JSON.stringify(fileWith({ large })),
    'bom.json': '\uFEFF' + JSON.stringify({ models: { 'kleines-modell': { ...small, description: 'Für alle' } } })
  })
  const catalog: ModelCatalog = loadModelsFile(join(dir, 'models.json'))
  t.same([...catalog.models.keys()], ['small', 'large'])
  t.equal(catalog.defaultModel.id, 'small')
  t.equal(loadModelsFile(join(dir, 'bom.json')).defaultModel.description, 'Für alle')
})

t.test('loadModelsFile names the file when it cannot be read, is not JSON, or is not a models file', async (t) => {
  const dir = t.testdir({ 'broken.json': '{"models": ', 'invalid.json': '{"models": {"small": {"input": 1}}}' })
  const missing = join(dir, 'missing.json')
  t.throws(() => loadModelsFile(missing), {
    name: 'ConfigError',
    message: new RegExp(`^MODELS_FILE ${missing}: cannot be read \\(ENOENT`)
  })
  t.throws(() => loadModelsFile(dir), {
    name: 'ConfigError',
    message: new RegExp(`^MODELS_FILE ${dir}: cannot be read \\(EISDIR`)
  })
  const broken = join(dir, 'broken.json')
  t.throws(() => loadModelsFile(broken), {
    name: 'ConfigError',
    message: new RegExp(`^MODELS_FILE ${broken}: is not JSON \\(`)
  })
  const invalid = join(dir, 'invalid.json')
  t.throws(() => loadModelsFile(invalid), {
    name: 'ConfigError',
    message: `MODELS_FILE ${invalid}: models.small.cached_input: Expected required property`
  })
})

t.test('without a models file there is one model, sent as its id, priced per call', async (t) => {
  const catalog = singleModelCatalog({ id: 'gpt-4o-mini', request: 100, maxOutputTokens: 512 })
  const model = {
    id: 'gpt-4o-mini',
    upstream: 'gpt-4o-mini',
    description: undefined,
    request: 100,
    input: 0n,
    cachedInput: 0n,
    output: 0n,
    maxOutputTokens: 512
  }
  t.same(catalog.defaultModel, model)
  t.same([...catalog.models], [['gpt-4o-mini', model]])
  t.equal(
    singleModelCatalog({ id: 'offline', request: 1, maxOutputTokens: undefined }).defaultModel.maxOutputTokens,
    undefined
  )
})
