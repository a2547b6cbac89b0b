import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler'

type Serializer = ReturnType<ReturnType<SerializerFactory>>

const compilers = SerializerSelector()
const compiledBySchemas = new Map<string, WeakMap<object, Serializer>>()

/**
 * Fastify's response serializer factory, with each compiled serializer kept for the process: a serializer depends only
 * on its route's schema object and the shared schemas it may reference, so every app built in one process (the tests
 * build hundreds) reuses it instead of compiling all routes again, which was 40% of building an app.
 */
export const sharedSerializers: SerializerFactory = (externalSchemas, options) => {
  const compile = compilers(externalSchemas, options)
  const key = JSON.stringify([externalSchemas, options])
  const compiled = compiledBySchemas.get(key) ?? new WeakMap<object, Serializer>()
  compiledBySchemas.set(key, compiled)
  return (route) => {
    const schema = route.schema as object
    const known = compiled.get(schema)
    if (known) return known
    const serializer = compile(route)
    compiled.set(schema, serializer)
    return serializer
  }
}
