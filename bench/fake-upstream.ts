import { FakeOpenAi } from '../test/fake-openai.js'

/**
 * The tests' fake OpenAI-compatible server on `PORT`, answering at once, in a process of its own: the upstream of
 * `npm run bench:overhead`, which calls it both directly and through the service.
 */
const fake = await FakeOpenAi.listen(Number(process.env.PORT))
// The fake keeps every request it received, for tests to inspect; a benchmark sends tens of thousands.
setInterval(() => fake.received.splice(0), 1000).unref()
process.once('SIGTERM', () => fake.close())
