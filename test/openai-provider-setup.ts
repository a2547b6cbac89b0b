import type { Test } from 'tap'
import { OpenAiProvider, type OpenAiProviderOptions } from '../src/ai/openai-provider.js'
import type { AiStreamEvent, GenerateRequest } from '../src/ai/provider.js'
import { FakeOpenAi } from './fake-openai.js'

/** The provider on a fake OpenAI-compatible server, without an API key unless given; closed when the test ends. */
export async function setup(
  t: Test,
  options: Partial<OpenAiProviderOptions> = {},
  urlOf = (baseUrl: string) => baseUrl
) {
  const fake = await FakeOpenAi.start(t)
  const provider = new OpenAiProvider({ apiKey: undefined, timeoutMs: 2000, ...options, baseUrl: urlOf(fake.baseUrl) })
  t.teardown(() => provider.close())
  return { fake, provider }
}

export function ask(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    model: 'fake-model',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    maxTokens: undefined,
    signal: new AbortController().signal,
    ...overrides
  }
}

export async function collect(stream: AsyncIterable<AiStreamEvent>): Promise<AiStreamEvent[]> {
  const events: AiStreamEvent[] = []
  for await (const event of stream) events.push(event)
  return events
}

/** One server-sent event carrying `data` as JSON. */
export function sse(data: object): string {
  return `data: ${JSON.stringify(data)}\n\n`
}

export const EVENT_STREAM = { 'content-type': 'text/event-stream' }
