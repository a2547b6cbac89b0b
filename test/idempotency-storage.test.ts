import { setTimeout as sleep } from 'node:timers/promises'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { App } from '../src/app.js'
import { adminAndUser } from './admin-helper.js'
import { eventsOf } from './event-stream-client.js'
import { assertProblem, build, failingOnce, signUp } from './helper.js'
import { unwritableUntilFreed } from './unwritable-store.js'

const KEY = 'c0ffee00-1111-4222-8333-944445555666'
type Headers = Record<string, string>

function chat(app: App, headers: Headers, accept?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/chat_msg/',
    headers: { ...headers, 'idempotency-key': KEY, ...(accept ? { accept } : {}) },
    payload: { message: 'hello' }
  })
}

async function balanceOf(app: App, headers: Headers): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })).json().tokens
}

/** Retries until the answer is a replay; the background write takes well under a second once the disk has room. */
async function replayOf(send: () => Promise<LightMyRequestResponse>) {
  for (;;) {
    const response = await send()
    if (response.headers['idempotent-replayed'] === 'true') return response
    await sleep(25)
  }
}

t.test('a charged chat whose answer cannot be stored keeps its key: 409 meanwhile, then the replay', async (t) => {
  const disk = unwritableUntilFreed('completeIdempotentRequest')
  const { app, state } = await build(t, {}, { store: disk.decorate })
  const { headers } = await signUp(app)

  const first = await chat(app, headers)
  t.equal(first.statusCode, 201, 'the charged answer is delivered')
  t.ok(disk.attempts >= 1, 'storing the answer was attempted')

  const meanwhile = await chat(app, headers)
  assertProblem(t, meanwhile, { status: 409, code: 'idempotency_key_in_use', instance: '/api/chat_msg/' })

  disk.free()
  const replay = await replayOf(() => chat(app, headers))
  t.equal(replay.statusCode, 201)
  t.same(replay.json(), first.json(), 'the replay is the first answer')
  t.equal(await balanceOf(app, headers), 3900, 'charged exactly once')
  t.equal(await state.countChats(), 1)
  t.same(await state.ledgerMismatches(), [])
})

t.test('when storing the answer fails once, it is stored on the next attempt and replayed', async (t) => {
  const { app, state } = await build(t, {}, { store: failingOnce('completeIdempotentRequest') })
  const { headers } = await signUp(app)

  const first = await chat(app, headers)
  const replay = await replayOf(() => chat(app, headers))

  t.equal(first.statusCode, 201)
  t.same(replay.json(), first.json())
  t.equal(await balanceOf(app, headers), 3900)
  t.equal(await state.countChats(), 1)
})

t.test('a streamed chat whose answer cannot be stored ends with done, then replays once stored', async (t) => {
  const disk = unwritableUntilFreed('completeIdempotentRequest')
  const { app, state } = await build(t, {}, { store: disk.decorate })
  const { headers } = await signUp(app)

  const first = eventsOf((await chat(app, headers, 'text/event-stream')).body)
  t.same(
    first.filter(({ event }) => event !== 'delta').map(({ event }) => event),
    ['done'],
    'exactly one terminal event'
  )

  const meanwhile = await chat(app, headers, 'text/event-stream')
  t.equal(meanwhile.statusCode, 409)
  disk.free()
  const replay = await replayOf(() => chat(app, headers, 'text/event-stream'))
  t.same(eventsOf(replay.body), [{ event: 'done', data: first.at(-1)!.data }])
  t.equal(await balanceOf(app, headers), 3900)
  t.equal(await state.countChats(), 1)
})

t.test('a grant whose answer cannot be stored is never granted twice', async (t) => {
  const disk = unwritableUntilFreed('completeIdempotentRequest')
  const { app, state } = await build(t, {}, { store: disk.decorate })
  const { user, admin } = await adminAndUser(app, 'bob')
  const grant = () =>
    app.inject({
      method: 'POST',
      url: '/api/admin/users/bob/tokens/',
      headers: { ...admin.headers, 'idempotency-key': KEY },
      payload: { amount: 500 }
    })

  const first = await grant()
  t.equal(first.statusCode, 201)
  assertProblem(t, await grant(), {
    status: 409,
    code: 'idempotency_key_in_use',
    instance: '/api/admin/users/bob/tokens/'
  })
  disk.free()
  const replay = await replayOf(grant)

  t.same(replay.json(), first.json())
  t.equal(await balanceOf(app, user.headers), 4500, 'granted exactly once')
  t.same(await state.ledgerMismatches(), [])
})
