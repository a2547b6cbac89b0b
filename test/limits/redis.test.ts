import { connect, createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { connectRedisLimits } from '../../src/limits/redis.js'
import { limitsContract } from './contract.js'
import { redisPrefixes, testRedisUrl } from './redis-helper.js'

t.test('the Redis limits keep the contract of the limits port', async (t) => {
  const url = testRedisUrl(t)
  if (!url) return
  const prefixes = redisPrefixes(t, url)
  limitsContract(t, () => connectRedisLimits(prefixes.fresh()))
})

/** A TCP proxy to Redis that the test can cut, as a network partition or a Redis restart would. */
async function proxyTo(url: string) {
  const { hostname, port } = new URL(url)
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(port || 6379), hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    client.pipe(upstream).pipe(client)
  })
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  await listen(0)
  const { port: proxyPort } = server.address() as { port: number }
  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    /** Closes the proxy and every connection through it; closing it again does nothing. */
    cut: async () => {
      const closed = new Promise((resolve) => (server.listening ? server.close(resolve) : resolve(undefined)))
      for (const socket of sockets) socket.destroy()
      await closed
    },
    restore: () => listen(proxyPort)
  }
}

t.test('once Redis is lost, calls reject at once and readiness says unreachable, until it is back', async (t) => {
  const url = testRedisUrl(t)
  if (!url) return
  const proxy = await proxyTo(url)
  t.teardown(() => proxy.cut())
  const limits = await connectRedisLimits({ ...redisPrefixes(t, url).fresh(), url: proxy.url })
  t.teardown(() => limits.close())
  const counter = limits.windows('registrations', { windowMs: 60_000 })
  t.equal((await counter.hit('a')).count, 1)
  t.equal(await limits.checkReadiness(), 'ok')

  await proxy.cut()
  await t.rejects(counter.hit('a'), 'a call made while the client reconnects rejects')
  t.equal(await limits.checkReadiness(), 'unreachable')

  await proxy.restore()
  const deadline = Date.now() + 5000
  while ((await limits.checkReadiness()) !== 'ok' && Date.now() < deadline) await sleep(50)
  t.equal((await counter.hit('a')).count, 2, 'the client reconnected, and the count kept in Redis went on')
})

t.test('a slot held by an instance that died frees itself after its TTL, for every other instance', async (t) => {
  const url = testRedisUrl(t)
  if (!url) return
  const { shared } = redisPrefixes(t, url)
  const rule = { maxPerKey: 1, ttlMs: 300 }
  const dying = await connectRedisLimits(shared)
  const survivor = await connectRedisLimits(shared)
  t.teardown(() => survivor.close())
  t.ok(await dying.slots('chats-in-flight', rule).acquire('alice'))
  // Its client goes away without giving the slot back, as a process killed with replies in flight does.
  await dying.close()

  const slots = survivor.slots('chats-in-flight', rule)
  t.equal(await slots.acquire('alice'), undefined, 'the dead instance still holds the slot')
  await sleep(400)
  t.ok(await slots.acquire('alice'), 'its TTL over, the slot is taken on the other instance')
})
