import t from 'tap'
import { isStorageUnavailable } from '../src/errors.js'
import { assertProblem, build, diskFull, failingOnce, signUp } from './helper.js'

t.test(
  'a store call the database cannot take answers 503 storage_unavailable, logged at error with its cause',
  async (t) => {
    const logged: string[] = []
    const { app } = await build(
      t,
      { LOG_LEVEL: 'error' },
      { store: failingOnce('getBalance'), logStream: { write: (line) => logged.push(line) } }
    )
    const { headers } = await signUp(app)

    const failed = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
    assertProblem(t, failed, { status: 503, code: 'storage_unavailable', instance: '/api/tokenbalance/' })
    t.equal(failed.headers['retry-after'], '2')
    const [line] = logged.map((text) => JSON.parse(text))
    t.match(line, { level: 50, msg: 'request failed', err: { code: 'STORAGE_UNAVAILABLE' } })
    t.match(JSON.stringify(line.err), /SQLITE_FULL|database or disk is full/, 'the cause is logged')

    const retried = await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })
    t.equal(retried.statusCode, 200, 'the next call goes through')
  }
)

t.test('isStorageUnavailable tells the storage failure from any other error', async (t) => {
  t.ok(isStorageUnavailable(diskFull()))
  t.notOk(isStorageUnavailable(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })))
  t.notOk(isStorageUnavailable(undefined))
})
