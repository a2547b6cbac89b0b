import type { LightMyRequestResponse } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { AiProvider, AiReply, GenerateRequest } from '../src/ai/provider.js'
import { buildApp, type App, type AppOverrides } from '../src/app.js'
import { loadConfig, resolveModels, type Config } from '../src/config.js'
import type { Store } from '../src/db/store.js'
import { storageUnavailable } from '../src/problems/errors.js'
import { openStoredState, type StoredState } from './stored-state.js'
import { scratchDirectory } from './scratch-directory.js'

/**
 * Fast argon2 parameters keep the suite quick; the defaults are checked in the config tests. Rate limits are off:
 * suites sign up many users from one address and fire bursts of chats; test/rate-limits.test.ts turns them on.
 */
export const TEST_ENV = {
  JWT_SECRET: 'test-secret-that-is-at-least-32-bytes-long',
  LOG_LEVEL: 'silent',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  RATE_LIMIT: 'off'
}

/** `MODELS_FILE` is read here as `server.ts` reads it. */
export function testConfig(env: Record<string, string> = {}): Config {
  return resolveModels(loadConfig({ DATABASE_URL: ':memory:', ...TEST_ENV, ...env }))
}

export interface Built {
  app: App
  /** What the app's database holds, read apart from the app, for assertions on what was stored. */
  state: StoredState
  databaseUrl: string
}

/** Builds the app on a fresh database file and closes everything when the test ends. */
export async function build(t: Test, env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<Built> {
  const databaseUrl = env.DATABASE_URL ?? join(scratchDirectory(t), 'test.sqlite')
  const config = testConfig({ ...env, DATABASE_URL: databaseUrl })
  const app = await buildApp(config, overrides)
  await app.ready()
  const state = await openStoredState(config.database)
  t.teardown(async () => {
    await state.close()
    await app.close()
  })
  return { app, state, databaseUrl }
}

export const PASSWORD = 'correct horse battery staple'

export async function register(app: App, username: string, password = PASSWORD) {
  const response = await app.inject({ method: 'POST', url: '/api/register/', payload: { username, password } })
  if (response.statusCode !== 201) throw new Error(`register ${username} failed: ${response.body}`)
  return response.json()
}

export async function login(
  app: App,
  username: string,
  password = PASSWORD
): Promise<{ access: string; refresh: string }> {
  const response = await app.inject({ method: 'POST', url: '/api/login/', payload: { username, password } })
  if (response.statusCode !== 200) throw new Error(`login ${username} failed: ${response.body}`)
  return response.json()
}

/** Registers and logs in a user; returns their tokens and headers that authenticate as them. */
export async function signUp(app: App, username = 'alice') {
  await register(app, username)
  const tokens = await login(app, username)
  return { ...tokens, headers: { authorization: `Bearer ${tokens.access}` } }
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}` }
}

const PROBLEM_FIELDS = ['code', 'detail', 'instance', 'status', 'title', 'type']

export interface ExpectedProblem {
  status: number
  code: string
  instance: string
  detail?: string
  /** Members beyond the six every problem has, such as `errors`. */
  extensions?: Record<string, unknown>
}

/** Asserts an RFC 9457 problem+json answer, member by member, and returns its body. */
export function assertProblem(t: Test, response: LightMyRequestResponse, expected: ExpectedProblem) {
  const { status, code, instance, detail, extensions = {} } = expected
  t.equal(response.statusCode, status, 'HTTP status')
  t.match(response.headers['content-type'], /^application\/problem\+json\b/, 'content type')
  const body = response.json()
  t.same(Object.keys(body).sort(), [...PROBLEM_FIELDS, ...Object.keys(extensions)].sort(), 'problem members')
  t.match(body, {
    type: `urn:ai-chat-api:problem:${code}`,
    title: STATUS_CODES[status],
    status,
    code,
    instance,
    ...extensions
  })
  t.type(body.detail, 'string')
  t.not(body.detail, '', 'detail says what went wrong')
  if (detail !== undefined) t.equal(body.detail, detail)
  return body
}

/** A provider scripted by one function; its stream delivers the whole reply as a single delta. */
export function providerFrom(name: string, complete: (request: GenerateRequest) => Promise<AiReply>): AiProvider {
  return {
    name,
    complete,
    async *stream(request) {
      const reply = await complete(request)
      yield { type: 'delta', text: reply.text }
      yield { type: 'end', model: reply.model, usage: reply.usage }
    }
  }
}

/** What a store method rejects with when the disk is full. */
export function diskFull() {
  return storageUnavailable(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))
}

/**
 * A store decorator for `build`'s overrides: the first call of `method` rejects with `error` without touching the
 * database, as a write that could not commit; later calls go through.
 */
export function failingOnce(method: keyof Store, error: unknown = diskFull()): (store: Store) => Store {
  return (store) => {
    let failed = false
    const original = store[method] as (...args: unknown[]) => Promise<unknown>
    const failOnce = (...args: unknown[]) => {
      if (failed) return original(...args)
      failed = true
      return Promise.reject(error)
    }
    return { ...store, [method]: failOnce }
  }
}
