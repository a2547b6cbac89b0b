import Fastify from 'fastify'

/**
 * The yardstick: bare Fastify answering hello world, with no logger, no hooks and no schemas. POST parses the JSON
 * body (Fastify always does), so body-carrying scenarios are compared with a server that reads the same bytes.
 */
const app = Fastify({ logger: false })
const hello = async () => ({ hello: 'world' })
app.get('/', hello)
app.post('/', hello)

process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' })
