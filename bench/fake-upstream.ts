import { FakeOpenAi } from '../test/fake-openai.js'

/**
 * The tests' fake OpenAI-compatible server on `PORT`, in a process of its own: the upstream of `npm run bench:overhead`
 * and `npm run bench:load`, which call it both directly and through the service. It answers after `ANSWER_DELAY_MS`
 * (default 0: at once).
 */
const fake = await FakeOpenAi.listen(Number(process.env.PORT), Number(process.env.ANSWER_DELAY_MS ?? 0))
// The fake keeps every request it received, for tests to inspect; a benchmark sends tens of thousands.
setInterval(() => fake.received.splice(0), 1000).unref()
process.once('SIGTERM', () => fake.close())
