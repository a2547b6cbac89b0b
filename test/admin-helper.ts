import { Writable } from 'node:stream'
import type { App } from '../src/app.js'
import { createAdmin } from '../src/cli/commands.js'
import { signUp, testConfig } from './helper.js'

type Headers = Record<string, string>

/** A stream that keeps what is written to it, for the report of a CLI command. */
export class Collected extends Writable {
  chunks: string[] = []
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
    this.chunks.push(chunk.toString('utf8'))
    done()
  }
  get text() {
    return this.chunks.join('')
  }
}

/** Registers a user, makes them an administrator with the operators' `create-admin` command, and logs them in. */
export async function signUpAdmin(app: App, username = 'root') {
  const session = await signUp(app, username)
  const context = { store: app.store, config: testConfig(), out: new Collected() }
  await createAdmin(context, username, {
    promote: true,
    readPassword: () => Promise.reject(new Error('an existing user needs no password'))
  })
  return session
}

/** A user who can be administered, and an administrator with their headers. */
export async function adminAndUser(app: App, username = 'alice') {
  const user = await signUp(app, username)
  const admin = await signUpAdmin(app)
  return { user, admin }
}

export interface Page<Item> {
  items: Item[]
  next_cursor: string | null
}

export async function readPage<Item>(
  app: App,
  url: string,
  headers: Headers,
  query: Record<string, string> = {}
): Promise<Page<Item>> {
  const response = await app.inject({ method: 'GET', url, headers, query })
  if (response.statusCode !== 200) throw new Error(`GET ${url} failed: ${response.body}`)
  return response.json()
}

/** Follows `next_cursor` from the first page to the last, keeping the rest of the query, and returns every page. */
export async function readAllPages<Item>(app: App, url: string, headers: Headers, query: Record<string, string>) {
  const pages = [await readPage<Item>(app, url, headers, query)]
  for (let cursor = pages[0]!.next_cursor; cursor !== null; cursor = pages.at(-1)!.next_cursor) {
    pages.push(await readPage<Item>(app, url, headers, { ...query, cursor }))
  }
  return pages
}

export function adjustTokens(app: App, headers: Headers, username: string, payload: unknown) {
  return app.inject({
    method: 'POST',
    url: `/api/admin/users/${encodeURIComponent(username)}/tokens/`,
    headers,
    payload: payload as object
  })
}

export function setActive(app: App, headers: Headers, username: string, isActive: boolean) {
  return app.inject({
    method: 'PATCH',
    url: `/api/admin/users/${encodeURIComponent(username)}/`,
    headers,
    payload: { is_active: isActive }
  })
}
