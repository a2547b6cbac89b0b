import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { formatPrice } from '../../pricing/decimal-price.js'
import type { ModelCatalog, PricedModel } from '../../pricing/models.js'
import { problemResponses } from '../../problems/schema.js'
import { BearerSecurity } from '../common/schemas.js'
import { ModelListSchema, type ModelList } from './schemas.js'

export interface ModelRoutesOptions {
  models: ModelCatalog
}

const modelRoutes: FastifyPluginAsyncTypebox<ModelRoutesOptions> = async (app, { models }) => {
  // The list changes only with a restart.
  const list: ModelList = {
    default: models.defaultModel.id,
    models: [...models.models.values()].map(toModelItem)
  }

  app.get(
    '/api/models/',
    {
      onRequest: [app.authenticate],
      schema: {
        operationId: 'listModels',
        summary: 'List the models you may chat with, and their prices',
        description:
          'A message holds its worst case before the model is called (the request price, its prompt as an upper bound ' +
          'of its tokens, and `max_output_tokens` reply tokens) and is settled to what the reply used.',
        tags: ['chat'],
        security: BearerSecurity,
        response: { 200: ModelListSchema, ...problemResponses(401, 503) }
      }
    },
    async () => list
  )
}

function toModelItem(model: PricedModel): ModelList['models'][number] {
  return {
    id: model.id,
    description: model.description ?? null,
    request: model.request,
    input: Number(formatPrice(model.input)),
    cached_input: Number(formatPrice(model.cachedInput)),
    output: Number(formatPrice(model.output)),
    max_output_tokens: model.maxOutputTokens ?? null
  }
}

export default modelRoutes
