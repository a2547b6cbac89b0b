import type { FastifySchema } from 'fastify'

type JsonSchema = {
  type?: string | string[]
  examples?: unknown[]
  const?: unknown
  default?: unknown
  enum?: unknown[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  content?: Record<string, MediaType>
}

type MediaType = { schema: JsonSchema; example?: unknown }

/**
 * An example value for a schema, composed from the `examples` of its parts; undefined when a required part has none.
 * Route authors write examples on the leaves of their TypeBox schemas, and whole-body examples follow from them.
 */
export function exampleOf(schema: JsonSchema): unknown {
  if (schema.examples && schema.examples.length > 0) return schema.examples[0]
  if ('const' in schema) return schema.const
  if (schema.default !== undefined) return schema.default
  if (schema.enum && schema.enum.length > 0) return schema.enum[0]
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return branches.map(exampleOf).find((example) => example !== undefined)
  if (schema.properties) return objectExample(schema.properties, schema.required ?? [])
  if (schema.items) {
    const item = exampleOf(schema.items)
    return item === undefined ? undefined : [item]
  }
  return undefined
}

function objectExample(properties: Record<string, JsonSchema>, required: string[]) {
  const example: Record<string, unknown> = {}
  for (const [name, property] of Object.entries(properties)) {
    const value = exampleOf(property)
    if (value === undefined && required.includes(name)) return undefined
    if (value !== undefined) example[name] = value
  }
  return example
}

/** Gives a route's body and JSON responses a whole-value example, which @fastify/swagger turns into `example`. */
export function withComposedExamples(schema: FastifySchema): FastifySchema {
  if (!schema) return schema
  const response = schema.response as Record<string, JsonSchema> | undefined
  return {
    ...schema,
    ...(schema.body ? { body: withExample(schema.body as JsonSchema) } : {}),
    ...(response
      ? { response: Object.fromEntries(Object.entries(response).map(([status, body]) => [status, withExample(body)])) }
      : {})
  }
}

function withExample(schema: JsonSchema): JsonSchema {
  if (schema.content) return { ...schema, content: withMediaExamples(schema.content) }
  if (schema.examples) return schema
  const example = exampleOf(schema)
  return example === undefined ? schema : { ...schema, examples: [example] }
}

/** A response declared per media type (`content`) passes through @fastify/swagger as written, so the example goes there. */
function withMediaExamples(content: Record<string, MediaType>): Record<string, MediaType> {
  return Object.fromEntries(
    Object.entries(content).map(([mediaType, media]) => {
      const example = 'example' in media ? media.example : exampleOf(media.schema)
      return [mediaType, example === undefined ? media : { ...media, example }]
    })
  )
}
