import t from 'tap'
import { problemExample } from '../src/problems/examples.js'
import { exampleOf, withComposedExamples } from '../src/plugins/openapi-examples.js'

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
