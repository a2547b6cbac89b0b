import type { Test } from 'tap'
import { collectEvents } from './event-stream-client.js'
import { PASSWORD, testConfig } from './helper.js'
import { openStoredState, type StoredState } from './stored-state.js'

// What the tests that talk to server processes over real HTTP share: requests, and reads of the stored state.

export type Headers = Record<string, string>

export async function post(baseUrl: string, path: string, body: unknown, headers: Headers = {}) {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body)
  })
}

export async function signUpOn(baseUrl: string, username: string): Promise<Headers> {
  await post(baseUrl, '/api/register/', { username, password: PASSWORD })
  const { access } = await (await post(baseUrl, '/api/login/', { username, password: PASSWORD })).json()
  return { authorization: `Bearer ${access}` }
}

/** One chat, streamed or not, answered as the body of its 201 or of its `done` event (or the problem). */
export async function chat(baseUrl: string, headers: Headers, message: string, streamed = false) {
  const response = await post(
    baseUrl,
    '/api/chat_msg/',
    { message },
    streamed ? { ...headers, accept: 'text/event-stream' } : headers
  )
  if (!streamed) return { status: response.status, body: await response.json() }
  const events = await collectEvents(response)
  const last = events.at(-1)!
  return { status: last.event === 'done' ? 201 : 500, body: last.data as Record<string, unknown> }
}

/** The reasons of each chat's ledger rows, in order, chat by chat. */
export async function ledgerReasonsPerChat(state: StoredState) {
  const reasons = new Map<number, string[]>()
  for (const { chatId, reason } of await state.ledger()) {
    if (chatId !== null) reasons.set(chatId, [...(reasons.get(chatId) ?? []), reason])
  }
  return [...reasons.values()].map((chatReasons) => chatReasons.join(','))
}

/** The stored state of the database at `databaseUrl`, closed when the test ends. */
export async function stateOf(t: Test, databaseUrl: string) {
  const state = await openStoredState(testConfig({ DATABASE_URL: databaseUrl }).database)
  t.teardown(() => state.close())
  return state
}
