import t, { type Test } from 'tap'
import type { App } from '../src/app.js'
import { assertProblem, build, providerFrom, signUp } from './helper.js'

const throwingProvider = providerFrom('throwing', async () => {
  throw new Error('model overloaded')
})

async function scrape(t: Test, app: App): Promise<string> {
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 200, 'GET /metrics answers 200')
  return response.body
}

/** The value of one sample, such as `chat_messages_total{outcome="completed"}`, in a Prometheus text exposition. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

function chat(app: App, headers: Record<string, string>) {
  return app.inject({ method: 'POST', url: '/api/chat_msg/', headers, payload: { message: 'hello' } })
}

t.test('GET /metrics serves the Prometheus text format with the process metrics', async (t) => {
  const { app } = await build(t)
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
  t.match(response.body, /^# HELP process_cpu_user_seconds_total /m)
  t.match(response.body, /^nodejs_eventloop_lag_seconds \d/m)
})

t.test('before any chat every chat series is present at zero', async (t) => {
  const { app } = await build(t)
  const exposition = await scrape(t, app)
  for (const outcome of [
    'completed',
    'incomplete',
    'insufficient_tokens',
    'spend_limit_reached',
    'upstream_error',
    'upstream_timeout',
    'client_gone'
  ]) {
    t.equal(sample(exposition, `chat_messages_total{outcome="${outcome}"}`), 0, outcome)
  }
  t.equal(sample(exposition, 'chat_tokens_charged_total'), 0)
  t.equal(sample(exposition, 'chat_tokens_refunded_total'), 0)
})

t.test('request durations are counted by method, route pattern and status', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  await app.inject({ method: 'GET', url: '/api/chats/1/', headers })
  await app.inject({ method: 'GET', url: '/api/chats/2/', headers })
  await app.inject({ method: 'GET', url: '/api/tokenbalance/', headers })

  const exposition = await scrape(t, app)

  const series = (method: string, route: string, status: number) =>
    `http_request_duration_seconds_count{method="${method}",route="${route}",status_code="${status}"}`
  t.equal(sample(exposition, series('GET', '/api/chats/:id/', 404)), 2, 'both chats share the route pattern')
  t.equal(sample(exposition, series('GET', '/api/tokenbalance/', 200)), 1)
  t.equal(sample(exposition, series('POST', '/api/register/', 201)), 1)
  t.equal(sample(exposition, series('POST', '/api/login/', 200)), 1)
  t.match(exposition, /^http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/tokenbalance\/"/m)
})

t.test('requests that match no route share the label route="unmatched"', async (t) => {
  const { app } = await build(t)
  for (const url of ['/nope', '/wp-admin.php', '/a/b/c']) await app.inject({ method: 'GET', url })

  const exposition = await scrape(t, app)

  t.equal(
    sample(exposition, 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'),
    3
  )
  t.notMatch(exposition, 'wp-admin')
})

t.test('a completed chat counts once, charges its cost and times the provider', async (t) => {
  const { app } = await build(t)
  const { headers } = await signUp(app)
  t.equal((await chat(app, headers)).statusCode, 201)

  const exposition = await scrape(t, app)

  t.equal(sample(exposition, 'chat_messages_total{outcome="completed"}'), 1)
  t.equal(sample(exposition, 'chat_tokens_charged_total'), 100)
  t.equal(sample(exposition, 'chat_tokens_refunded_total'), 0)
  t.equal(sample(exposition, 'ai_provider_request_duration_seconds_count{provider="offline",outcome="ok"}'), 1)
})

t.test('a provider failure counts as upstream_error and its cost as refunded', async (t) => {
  const { app } = await build(t, {}, { provider: throwingProvider })
  const { headers } = await signUp(app)
  t.equal((await chat(app, headers)).statusCode, 502)

  const exposition = await scrape(t, app)

  t.equal(sample(exposition, 'chat_messages_total{outcome="upstream_error"}'), 1)
  t.equal(sample(exposition, 'chat_messages_total{outcome="completed"}'), 0)
  t.equal(sample(exposition, 'chat_tokens_charged_total'), 100)
  t.equal(sample(exposition, 'chat_tokens_refunded_total'), 100)
  t.equal(sample(exposition, 'ai_provider_request_duration_seconds_count{provider="throwing",outcome="error"}'), 1)
})

t.test('a refused chat counts as insufficient_tokens and charges nothing', async (t) => {
  const { app } = await build(t, { INITIAL_TOKENS: '0' })
  const { headers } = await signUp(app)
  t.equal((await chat(app, headers)).statusCode, 402)

  const exposition = await scrape(t, app)

  t.equal(sample(exposition, 'chat_messages_total{outcome="insufficient_tokens"}'), 1)
  t.equal(sample(exposition, 'chat_tokens_charged_total'), 0)
  t.notMatch(exposition, /ai_provider_request_duration_seconds_count\{/, 'the provider was not asked')
})

t.test('with METRICS_ENABLED=false there is no /metrics and chats still work', async (t) => {
  const { app } = await build(t, { METRICS_ENABLED: 'false' })
  const { headers } = await signUp(app)

  t.equal((await chat(app, headers)).statusCode, 201)
  const response = await app.inject({ method: 'GET', url: '/metrics' })

  assertProblem(t, response, { status: 404, code: 'not_found', instance: '/metrics' })
})

t.test('two apps in one process keep separate metrics', async (t) => {
  const first = await build(t)
  const second = await build(t)
  await signUp(first.app)

  const exposition = await scrape(t, second.app)

  t.equal(
    sample(exposition, 'http_request_duration_seconds_count{method="POST",route="/api/register/",status_code="201"}'),
    undefined
  )
})

t.test('with METRICS_TOKEN set, GET /metrics answers only to that bearer token', async (t) => {
  const metricsToken = 'scrape-token-0123456789abcdef'
  const { app } = await build(t, { METRICS_TOKEN: metricsToken })
  const { access } = await signUp(app)
  const scrapeWith = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/metrics', headers })

  const without = await scrapeWith({})
  assertProblem(t, without, { status: 401, code: 'not_authenticated', instance: '/metrics' })
  t.equal(without.headers['www-authenticate'], 'Bearer')
  for (const [name, authorization] of [
    ['a wrong token', `Bearer ${metricsToken.slice(0, -1)}x`],
    ['a longer token', `Bearer ${metricsToken}x`],
    ['a user’s access token', `Bearer ${access}`],
    ['the token without the Bearer scheme', metricsToken]
  ]) {
    const refused = await scrapeWith({ authorization: authorization! })
    assertProblem(t, refused, { status: 401, code: 'token_not_valid', instance: '/metrics' })
    t.notMatch(refused.body, /process_cpu/, `${name} gets no metrics`)
  }

  const scraped = await scrapeWith({ authorization: `Bearer ${metricsToken}` })
  t.equal(scraped.statusCode, 200)
  t.match(scraped.body, /^# HELP process_cpu_user_seconds_total /m)
  t.equal(
    sample(scraped.body, 'http_request_duration_seconds_count{method="GET",route="/metrics",status_code="401"}'),
    5
  )
})
