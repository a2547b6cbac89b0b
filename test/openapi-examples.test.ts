import type { TSchema } from '@sinclair/typebox'
import t from 'tap'
import type { App } from '../src/app.js'
import {
  ChunkStreamSchema,
  CompletionChunkSchema,
  CompletionSchema,
  ModelListSchema
} from '../src/modules/gateway/schemas.js'
import { problemExample } from '../src/problems/examples.js'
import { exampleOf, withComposedExamples } from '../src/plugins/openapi-examples.js'
import { build } from './helper.js'

t.test('an example is taken from examples, const, default or enum, in that order', async (t) => {
  t.equal(exampleOf({ examples: ['a'], default: 'b' }), 'a')
  t.equal(exampleOf({ const: 'c', default: 'd' }), 'c')
  t.equal(exampleOf({ default: 20 }), 20)
  t.equal(exampleOf({ enum: ['x', 'y'] }), 'x')
  t.equal(exampleOf({ type: 'string' }), undefined)
})

t.test('objects, arrays and unions are composed from their parts', async (t) => {
  const schema = {
    type: 'object',
    required: ['id', 'tags'],
    properties: {
      id: { examples: [1] },
      tags: { type: 'array', items: { examples: ['t'] } },
      next: { anyOf: [{ type: 'string' }, { type: 'null', examples: [null] }] },
      note: { type: 'string' }
    }
  }
  t.same(exampleOf(schema), { id: 1, tags: ['t'], next: null }, 'an optional member without an example is left out')
  t.equal(exampleOf({ type: 'array', items: { type: 'string' } }), undefined)
})

t.test('an object whose required member has no example has no example', async (t) => {
  t.equal(exampleOf({ type: 'object', required: ['a'], properties: { a: { type: 'string' } } }), undefined)
})

t.test('route schemas get whole-body examples, and media types declared by hand get one too', async (t) => {
  const body = { type: 'object', required: ['m'], properties: { m: { examples: ['hi'] } } }
  const written = { type: 'object', properties: {}, examples: [{ kept: true }] }
  const schema = withComposedExamples({
    body,
    response: {
      200: written,
      201: { content: { 'text/plain': { schema: { examples: ['text'] } } } },
      202: { content: { 'text/plain': { schema: { type: 'string' }, example: 'given' } } },
      204: { type: 'null' }
    }
  }) as { body: { examples: unknown[] }; response: Record<string, Record<string, unknown>> }
  t.same(schema.body.examples, [{ m: 'hi' }])
  t.equal(schema.response[200], written, 'an example written by hand is kept')
  t.same(schema.response[201], { content: { 'text/plain': { schema: { examples: ['text'] }, example: 'text' } } })
  t.same(schema.response[202], { content: { 'text/plain': { schema: { type: 'string' }, example: 'given' } } })
  t.same(schema.response[204], { type: 'null' }, 'nothing to compose')
  t.same(withComposedExamples({ querystring: {} }), { querystring: {} })
})

t.test('a status without a typical problem of its own gets an example named after the status', async (t) => {
  t.same(problemExample(403), {
    type: 'urn:ai-chat-api:problem:forbidden',
    title: 'Forbidden',
    status: 403,
    detail: 'Forbidden',
    code: 'forbidden'
  })
  t.match(problemExample(402), { code: 'insufficient_tokens', balance: 40, cost: 100 })
})

/** Whether the app's own body validator (no coercion, Unicode patterns) accepts the value; the errors when not. */
function validatedByApp(app: App, schema: TSchema, value: unknown) {
  const validate = app.validatorCompiler!({ schema, method: 'POST', url: '/', httpPart: 'body' }) as ((
    value: unknown
  ) => boolean) & { errors?: unknown }
  return { valid: validate(value), errors: validate.errors }
}

t.test('the gateway’s composed examples are values its schemas accept', async (t) => {
  const { app } = await build(t)
  const examples = { completion: CompletionSchema, chunk: CompletionChunkSchema, 'model list': ModelListSchema }
  for (const [name, schema] of Object.entries(examples)) {
    const example = exampleOf(schema)
    t.not(example, undefined, `the ${name} has an example`)
    t.match(validatedByApp(app, schema, example), { valid: true }, `the ${name} example is valid`)
  }
})

t.test('every event of the example stream is a chunk, and the stream ends with [DONE]', async (t) => {
  const { app } = await build(t)
  const events = ChunkStreamSchema.examples[0].split('\n\n').filter(Boolean)
  t.equal(events.pop(), 'data: [DONE]')
  t.ok(events.length > 0, 'the stream has chunks before [DONE]')
  for (const event of events) {
    const chunk = JSON.parse(event.replace(/^data: /, ''))
    t.match(validatedByApp(app, CompletionChunkSchema, chunk), { valid: true }, event)
  }
})
