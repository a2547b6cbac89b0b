import { readFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value'
import { ConfigError } from '../config-error.js'
import { parsePrice } from './decimal-price.js'

/** A model users may pick, with its prices; token prices are micro-credits per 1M tokens (see decimal-price.ts). */
export interface PricedModel {
  /** The key users pick. */
  id: string
  /** The name sent to the provider. */
  upstream: string
  description: string | undefined
  /** Whole credits per call. */
  request: number
  /** Per 1M uncached prompt tokens. */
  input: bigint
  /** Per 1M cached prompt tokens. */
  cachedInput: bigint
  /** Per 1M completion tokens. */
  output: bigint
  /** Sent as max_tokens; always set when output is above 0, since it bounds the hold. */
  maxOutputTokens: number | undefined
}

export interface ModelCatalog {
  defaultModel: PricedModel
  models: ReadonlyMap<string, PricedModel>
}

const MODEL_ID = '^[A-Za-z0-9._:/-]{1,64}$'
const MODEL_ID_RULE = '1 to 64 characters of A-Z a-z 0-9 . _ : / -'

const Price = Type.Unknown({
  description: 'credits per 1M tokens: a number or a decimal string such as "0.15", at most 6 decimal places'
})

const ModelEntrySchema = Type.Object(
  {
    upstream: Type.Optional(
      Type.String({ minLength: 1, description: 'the name sent to the provider (default: the id)' })
    ),
    description: Type.Optional(Type.String()),
    request: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'credits per call' })),
    input: Price,
    cached_input: Price,
    output: Price,
    max_output_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 }))
  },
  { additionalProperties: false }
)

const ModelsFileSchema = Type.Object(
  {
    default: Type.Optional(Type.String({ description: 'the model of a chat that names none' })),
    models: Type.Record(Type.String({ pattern: MODEL_ID }), ModelEntrySchema, {
      additionalProperties: false,
      minProperties: 1
    })
  },
  { additionalProperties: false }
)

type ModelEntry = Static<typeof ModelEntrySchema>

/**
 * Reads a models file (`MODELS_FILE`): its prices, and the default model. `source` names the file in every message,
 * e.g. `MODELS_FILE ./models.json: models.large.output: has more than 6 decimal places`. Throws ConfigError.
 */
export function parseModels(json: unknown, source: string): ModelCatalog {
  const schemaError = Value.Errors(ModelsFileSchema, json).First()
  if (schemaError) throw new ConfigError(`${source}: ${describe(schemaError)}`)
  const file = json as Static<typeof ModelsFileSchema>
  const models = new Map(
    Object.entries(file.models).map(([id, entry]) => [id, pricedModel(id, entry, `${source}: models.${id}`)])
  )
  const ids = [...models.keys()]
  const defaultId = file.default ?? (ids.length === 1 ? ids[0] : undefined)
  if (defaultId === undefined) {
    throw new ConfigError(`${source}: default: required when there is more than one model (${ids.join(', ')})`)
  }
  const defaultModel = models.get(defaultId)
  if (defaultModel === undefined) {
    throw new ConfigError(
      `${source}: default ${JSON.stringify(defaultId)} is not one of the models (${ids.join(', ')})`
    )
  }
  return { defaultModel, models }
}

/** Reads and parses the models file at `path` (UTF-8 JSON); every failure is a ConfigError naming the file. */
export function loadModelsFile(path: string): ModelCatalog {
  const source = `MODELS_FILE ${path}`
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`${source}: cannot be read (${(error as Error).message})`)
  }
  let json: unknown
  try {
    // Editors on Windows may start a UTF-8 file with a byte order mark, which JSON.parse refuses.
    json = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    throw new ConfigError(`${source}: is not JSON (${(error as Error).message})`)
  }
  return parseModels(json, source)
}

/** The catalog without a models file: one model, sent as its id, that costs `request` credits a call. */
export function singleModelCatalog(options: {
  id: string
  request: number
  maxOutputTokens: number | undefined
}): ModelCatalog {
  const model: PricedModel = {
    id: options.id,
    upstream: options.id,
    description: undefined,
    request: options.request,
    input: 0n,
    cachedInput: 0n,
    output: 0n,
    maxOutputTokens: options.maxOutputTokens
  }
  return { defaultModel: model, models: new Map([[model.id, model]]) }
}

function pricedModel(id: string, entry: ModelEntry, where: string): PricedModel {
  const price = (field: 'input' | 'cached_input' | 'output') => {
    try {
      return parsePrice(entry[field])
    } catch (error) {
      throw new ConfigError(`${where}.${field}: ${(error as Error).message}`)
    }
  }
  const model: PricedModel = {
    id,
    upstream: entry.upstream ?? id,
    description: entry.description,
    request: entry.request ?? 0,
    input: price('input'),
    cachedInput: price('cached_input'),
    output: price('output'),
    maxOutputTokens: entry.max_output_tokens
  }
  if (model.request === 0 && model.input === 0n && model.cachedInput === 0n && model.output === 0n) {
    // A free call would settle as a ledger row that changes nothing.
    throw new ConfigError(`${where}: every price is 0; set request or a token price above 0`)
  }
  if (model.output > 0n && model.maxOutputTokens === undefined) {
    throw new ConfigError(`${where}.max_output_tokens: required when output is above 0 (it bounds the hold)`)
  }
  return model
}

function describe(error: ValueError): string {
  const segments = error.path
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
  const isModelKey =
    error.type === ValueErrorType.ObjectAdditionalProperties && segments.length === 2 && segments[0] === 'models'
  const message = isModelKey ? `is not a model id (${MODEL_ID_RULE})` : error.message
  return segments.length === 0 ? message : `${segments.join('.')}: ${message}`
}
