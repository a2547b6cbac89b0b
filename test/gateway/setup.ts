import OpenAI from 'openai'
import type { Test } from 'tap'
import type { App } from '../../src/app.js'
import { setup } from '../metering-setup.js'

/**
 * The metering setup (two priced models on the fake model server, a signed-up user) listening on a free port, with
 * the official `openai` SDK pointed at its `/v1` as a client would be: only `baseURL` and `apiKey` changed.
 */
export async function gatewaySetup(t: Test, env: Record<string, string> = {}) {
  const built = await setup(t, env)
  const baseUrl = await built.app.listen({ port: 0, host: '127.0.0.1' })
  const client = (apiKey: string, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
    new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, ...options })
  return { ...built, baseUrl, client }
}

/** Creates an API key for the user behind `headers`; returns the whole answer, secret included. */
export async function createKey(app: App, headers: Record<string, string>, payload: object = { name: 'test key' }) {
  const response = await app.inject({ method: 'POST', url: '/api/keys/', headers, payload })
  if (response.statusCode !== 201) throw new Error(`the key was not created: ${response.body}`)
  return response.json() as { id: number; secret: string; last_four: string }
}
