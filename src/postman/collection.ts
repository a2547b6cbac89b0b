import { BODY_VARIABLES, COLLECTION_VARIABLES, FLOW, type FlowStep } from './flow.js'
import { AFTER_EACH_REQUEST, BEFORE_EACH_REQUEST, responseChecks } from './scripts.js'

interface Operation {
  operationId: string
  responses: Record<string, { content?: Record<string, { schema?: object }> }>
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>
}

interface PostmanItem {
  name: string
  item?: PostmanItem[]
  request?: {
    method: string
    url: { path: string[]; variable?: Array<{ key: string; value: unknown }> }
    header?: Array<{ key: string; value: string }>
    body?: { raw?: string }
  }
  event?: unknown[]
  [key: string]: unknown
}

export interface PostmanCollection {
  info: Record<string, unknown>
  item: PostmanItem[]
  [key: string]: unknown
}

/**
 * Turns openapi-to-postmanv2's collection into one that runs top to bottom: one request per operation in the order
 * of FLOW, bodies that use the collection's variables, tests that check each status and body against the document,
 * and scripts that carry the tokens from one request to the next. Random ids are dropped, so the file is stable.
 */
export function runnableCollection(document: OpenApiDocument, converted: PostmanCollection): PostmanCollection {
  const requests = leavesOf(converted.item)
  const item = operationsInFlowOrder(document).map(({ method, path, operation, step }) => {
    const request = requests.find((candidate) => sameEndpoint(candidate, method, path))
    if (!request) throw new Error(`openapi-to-postmanv2 made no request for ${method} ${path}`)
    return prepareRequest(request, operation, step)
  })
  return withoutGeneratedIds({
    info: converted.info,
    item,
    event: [script('prerequest', BEFORE_EACH_REQUEST), script('test', AFTER_EACH_REQUEST)],
    variable: Object.entries(COLLECTION_VARIABLES).map(([key, value]) => ({ key, value, type: 'string' }))
  })
}

function operationsInFlowOrder(document: OpenApiDocument) {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation }))
  )
  const inFlow = FLOW.flatMap((step) =>
    operations
      .filter(({ operation }) => operation.operationId === step.operationId)
      .map((entry) => ({ ...entry, step }))
  )
  const rest = operations
    .filter(({ operation }) => !FLOW.some((step) => step.operationId === operation.operationId))
    .map((entry) => ({ ...entry, step: { operationId: entry.operation.operationId } }))
  return [...inFlow, ...rest]
}

function leavesOf(items: PostmanItem[]): PostmanItem[] {
  return items.flatMap((item) => (item.item ? leavesOf(item.item) : [item]))
}

function sameEndpoint(item: PostmanItem, method: string, path: string): boolean {
  const postmanPath = `/${item.request?.url.path.join('/')}`
  return item.request?.method === method && postmanPath === path.replaceAll(/\{([^}]+)\}/g, ':$1')
}

function prepareRequest(item: PostmanItem, operation: Operation, step: FlowStep): PostmanItem {
  const request = item.request!
  const status = step.expectStatus ?? firstJsonSuccess(operation)
  if (!status) throw new Error(`${operation.operationId} documents no 2xx response`)
  const schema = step.expectStatus ? undefined : operation.responses[status]?.content?.['application/json']?.schema
  if (schema) {
    for (const header of request.header ?? [])
      if (header.key.toLowerCase() === 'accept') header.value = 'application/json'
  }
  for (const variable of request.url.variable ?? []) {
    const value = step.pathVariables?.[variable.key]
    if (value !== undefined) variable.value = value
  }
  if (request.body?.raw) request.body.raw = withBodyVariables(request.body.raw, step.body)
  const checks = responseChecks({ status: Number(status), schema, capture: step.capture })
  const auth = step.bearer && {
    auth: { type: 'bearer', bearer: [{ key: 'token', value: step.bearer, type: 'string' }] }
  }
  return { ...item, request: { ...request, ...auth }, event: [script('test', checks)] }
}

/** The first 2xx answered as JSON (an operation may also document, say, an event stream), else the first 2xx. */
function firstJsonSuccess(operation: Operation): string | undefined {
  const successes = Object.entries(operation.responses).filter(([code]) => code.startsWith('2'))
  return (successes.find(([, response]) => response.content?.['application/json']) ?? successes[0])?.[0]
}

function withBodyVariables(raw: string, overrides: FlowStep['body'] = {}): string {
  const body = JSON.parse(raw) as Record<string, unknown>
  for (const field of Object.keys(body)) {
    if (BODY_VARIABLES[field] !== undefined) body[field] = BODY_VARIABLES[field]
  }
  for (const [field, value] of Object.entries(overrides)) {
    if (value === null) delete body[field]
    else body[field] = value
  }
  return JSON.stringify(body, null, 2)
}

function script(listen: 'prerequest' | 'test', exec: string[]) {
  return { listen, script: { type: 'text/javascript', exec } }
}

const GENERATED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function withoutGeneratedIds<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, member) =>
      (key === 'id' || key === '_postman_id') && GENERATED_ID.test(String(member)) ? undefined : member
    )
  ) as T
}
