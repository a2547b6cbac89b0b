import { AiProviderError } from '../../ai/errors.js'
import type { AiProvider, AiReply, GenerateRequest } from '../../ai/provider.js'
import type { ChatRecorder } from '../../metrics/recorder.js'

/**
 * Asks the provider for the whole reply, or streams it to `onDelta` piece by piece, and times it for the metrics; an
 * empty reply counts as a failure. A NUL in the reply becomes U+FFFD, as in a message it is refused: no store could
 * keep it alike (PostgreSQL's `text` cannot hold it).
 */
export function askProvider(
  provider: AiProvider,
  recorder: ChatRecorder,
  request: GenerateRequest,
  onDelta: ((text: string) => void) | undefined
): Promise<AiReply> {
  return timed(provider, recorder, async () => {
    if (onDelta) return collectStream(provider, request, onDelta)
    const reply = await provider.complete(request)
    return { ...reply, text: withoutNul(reply.text) }
  })
}

const withoutNul = (text: string) => text.replaceAll('\u0000', '\uFFFD')

async function collectStream(provider: AiProvider, request: GenerateRequest, onDelta: (text: string) => void) {
  const pieces: string[] = []
  for await (const event of provider.stream(request)) {
    if (request.signal.aborted) break
    if (event.type === 'end') {
      return { text: pieces.join(''), model: event.model, usage: event.usage, finishReason: event.finishReason }
    }
    const text = withoutNul(event.text)
    pieces.push(text)
    onDelta(text)
  }
  throw new AiProviderError('error', 'the stream ended without the end of the reply')
}

async function timed(provider: AiProvider, recorder: ChatRecorder, ask: () => Promise<AiReply>): Promise<AiReply> {
  const started = performance.now()
  let succeeded = false
  try {
    const reply = await ask()
    if (!reply.text) throw new AiProviderError('error', 'the provider returned an empty reply')
    succeeded = true
    return reply
  } finally {
    recorder.providerAnswered(provider.name, (performance.now() - started) / 1000, succeeded)
  }
}
