import type { AiConfig } from '../config.js'
import { OfflineProvider } from './offline-provider.js'
import { OpenAiProvider } from './openai-provider.js'
import type { AiProvider } from './provider.js'

export function createProvider(config: AiConfig): AiProvider {
  if (config.provider === 'offline') return new OfflineProvider()
  return new OpenAiProvider({
    baseUrl: config.baseUrl!,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs
  })
}
