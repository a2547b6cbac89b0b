import { isChatDelta, isContentChunk, type Call } from './overhead-client.js'

export const PATH_IDS = ['chat', 'chat-stream', 'v1', 'v1-stream'] as const
export type PathId = (typeof PATH_IDS)[number]

/** A path through the service, and the call to the upstream that the service makes for it. */
export interface OverheadPath {
  id: PathId
  title: string
  streamed: boolean
  service: Call
  direct: Call
}

export interface PathContext {
  serviceUrl: string
  /** The upstream's `/v1` URL. */
  upstreamUrl: string
  model: string
  systemPrompt: string
  accessToken: string
  apiKey: string
}

const MESSAGE = 'What is the capital of France?'
const JSON_BODY = { 'content-type': 'application/json' }

/**
 * The four paths: chat messages and `/v1` completions, each plain and streamed. The direct call of each is the body
 * the service sends upstream (the OpenAI SDK's request without its headers): a chat message goes with the system
 * prompt, a `/v1` call as the caller wrote it (with `stream: false` when plain, as the SDK sends it), and the
 * service always asks a stream for its usage.
 */
export function overheadPaths(context: PathContext): OverheadPath[] {
  const { serviceUrl, upstreamUrl, model, systemPrompt } = context
  const user = { role: 'user', content: MESSAGE }
  const upstream = (messages: object[], streamed: boolean): Call => ({
    url: `${upstreamUrl}/chat/completions`,
    headers: JSON_BODY,
    body: JSON.stringify({
      model,
      messages,
      stream: streamed,
      ...(streamed && { stream_options: { include_usage: true } })
    }),
    ...(streamed && { carriesText: isContentChunk })
  })
  const chat = (streamed: boolean): OverheadPath => ({
    id: streamed ? 'chat-stream' : 'chat',
    title: `POST /api/chat_msg/${streamed ? ' streamed' : ''}`,
    streamed,
    service: {
      url: `${serviceUrl}/api/chat_msg/`,
      headers: {
        ...JSON_BODY,
        authorization: `Bearer ${context.accessToken}`,
        ...(streamed && { accept: 'text/event-stream' })
      },
      body: JSON.stringify({ message: MESSAGE }),
      ...(streamed && { carriesText: isChatDelta })
    },
    direct: upstream([{ role: 'system', content: systemPrompt }, user], streamed)
  })
  const completions = (streamed: boolean): OverheadPath => {
    const direct = upstream([user], streamed)
    return {
      id: streamed ? 'v1-stream' : 'v1',
      title: `POST /v1/chat/completions${streamed ? ' streamed' : ''}`,
      streamed,
      service: {
        ...direct,
        url: `${serviceUrl}/v1/chat/completions`,
        headers: { ...JSON_BODY, authorization: `Bearer ${context.apiKey}` }
      },
      direct
    }
  }
  return [chat(false), chat(true), completions(false), completions(true)]
}
