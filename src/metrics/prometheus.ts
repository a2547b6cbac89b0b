import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import type { ChatOutcome, ChatRecorder, LimitsRecorder } from './recorder.js'

const CHAT_OUTCOMES: ChatOutcome[] = [
  'completed',
  'incomplete',
  'insufficient_tokens',
  'spend_limit_reached',
  'upstream_error',
  'upstream_timeout',
  'upstream_busy',
  'client_gone',
  'storage_unavailable'
]
const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
/** The service's own share of a call is sub-millisecond when all is well: the buckets resolve it. */
const OVERHEAD_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5]

/** One registry per app, so that several apps in one process (the tests) keep their numbers apart. */
export function createPrometheusMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers
  })
  const chats = new Counter({
    name: 'chat_messages_total',
    help:
      'Chat messages and /v1 calls by how they ended: completed, incomplete, insufficient_tokens, spend_limit_reached, ' +
      'upstream_error, upstream_timeout, upstream_busy, client_gone, storage_unavailable',
    labelNames: ['outcome'] as const,
    registers
  })
  const tokensCharged = new Counter({
    name: 'chat_tokens_charged_total',
    help: 'Tokens held when chats were reserved (what came back is counted in chat_tokens_refunded_total)',
    registers
  })
  const tokensRefunded = new Counter({
    name: 'chat_tokens_refunded_total',
    help: 'Tokens credited back: the holds of chats that got no reply, the unused part of those that settled',
    registers
  })
  const usageOverHold = new Counter({
    name: 'chat_usage_over_hold_total',
    help:
      'Replies whose provider reported more tokens than their hold assumed (prompt tokens above the bound, or ' +
      'completion tokens above max_tokens), charged at most the hold, by model',
    labelNames: ['model'] as const,
    registers
  })
  const providerDuration = new Histogram({
    name: 'ai_provider_request_duration_seconds',
    help: 'Time the AI provider took to answer, by provider and outcome (ok or error)',
    labelNames: ['provider', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers
  })
  const overhead = new Histogram({
    name: 'gateway_overhead_seconds',
    help:
      'Time a settled chat message (origin chat) or /v1 call (origin api) spent in the service rather than waiting ' +
      'for the model: authentication, the hold, the settlement and the rest (compare ai_provider_request_duration_seconds)',
    labelNames: ['origin'] as const,
    buckets: OVERHEAD_BUCKETS_SECONDS,
    registers
  })
  const limitsUnavailable = new Counter({
    name: 'limits_unavailable_total',
    help: 'Limit checks that could not reach the limits (Redis) and let their request through uncounted',
    registers
  })
  for (const outcome of CHAT_OUTCOMES) chats.inc({ outcome }, 0)
  tokensCharged.inc(0)
  tokensRefunded.inc(0)
  limitsUnavailable.inc(0)

  const chatRecorder: ChatRecorder = {
    chatFinished: (outcome) => chats.inc({ outcome }),
    tokensCharged: (tokens) => tokensCharged.inc(tokens),
    tokensRefunded: (tokens) => tokensRefunded.inc(tokens),
    usageOverHold: (model) => usageOverHold.inc({ model }),
    providerAnswered: (provider, seconds, succeeded) =>
      providerDuration.observe({ provider, outcome: succeeded ? 'ok' : 'error' }, seconds),
    overheadMeasured: (origin, seconds) => overhead.observe({ origin }, seconds)
  }

  const limitsRecorder: LimitsRecorder = { limitsUnavailable: () => limitsUnavailable.inc() }

  return {
    chatRecorder,
    limitsRecorder,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeRequest: (method: string, route: string, statusCode: number, seconds: number) =>
      requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds)
  }
}

export type PrometheusMetrics = ReturnType<typeof createPrometheusMetrics>
