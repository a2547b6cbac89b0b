import { Type } from '@sinclair/typebox'

export const HealthSchema = Type.Object(
  { status: Type.Literal('ok', { description: 'Always `ok`: the process answers' }) },
  { description: 'The process is alive' }
)

const CheckPassed = Type.Literal('ok', { description: 'The check passed' })

export const ReadinessSchema = Type.Object(
  {
    status: Type.Literal('ready', { description: 'Always `ready`; anything else is a 503 problem' }),
    checks: Type.Object(
      {
        database: CheckPassed,
        migrations: CheckPassed,
        limits: Type.Union([CheckPassed, Type.Literal('unreachable', { description: 'Redis cannot be reached' })], {
          description: 'Whether the limits can be counted; while they cannot, they fail open and readiness holds',
          examples: ['ok']
        })
      },
      { description: 'Each readiness check and its state' }
    )
  },
  { description: 'The database answers and has every migration applied' }
)

/** The Prometheus text exposition format, version 0.0.4. */
export const METRICS_MEDIA_TYPE = 'text/plain'

export const MetricsSchema = Type.String({
  description: 'Metrics in the Prometheus text exposition format (version 0.0.4)',
  examples: [
    '# HELP chat_messages_total Chat messages by outcome\n# TYPE chat_messages_total counter\nchat_messages_total{outcome="completed"} 42\n'
  ]
})
