import { Type, type Static } from '@sinclair/typebox'

const Price = (description: string, example: number) =>
  Type.Number({ minimum: 0, description: `${description} (up to 6 decimal places)`, examples: [example] })

export const ModelSchema = Type.Object(
  {
    id: Type.String({ description: 'What to send as `model`', examples: ['offline'] }),
    description: Type.Union([Type.String(), Type.Null()], {
      description: 'What the operator says about the model',
      examples: [null]
    }),
    request: Type.Integer({ minimum: 0, description: 'Credits per call, whatever its tokens', examples: [100] }),
    input: Price('Credits per 1M prompt tokens not served from a cache', 0),
    cached_input: Price('Credits per 1M prompt tokens served from the provider’s cache', 0),
    output: Price('Credits per 1M reply tokens', 0),
    max_output_tokens: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: 'The most reply tokens a call may write (sent as `max_tokens`); null: the provider’s own limit',
      examples: [null]
    })
  },
  {
    description:
      'A model and its prices. A call costs `request + ceil((uncached prompt × input + cached × cached_input + ' +
      'reply × output) / 1,000,000)` credits'
  }
)

export const ModelListSchema = Type.Object(
  {
    default: Type.String({ description: 'The model used when a message names none', examples: ['offline'] }),
    models: Type.Array(ModelSchema, { description: 'Every model you may pick, by id' })
  },
  { description: 'The models you may chat with' }
)

export type ModelList = Static<typeof ModelListSchema>
