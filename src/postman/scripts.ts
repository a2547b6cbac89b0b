/** Postman scripts are JavaScript run by Postman and newman, kept here as lines of text. */

/** Before every request: pick a fresh username once per run, so that registering again never collides. */
export const BEFORE_EACH_REQUEST = [
  "if (!pm.collectionVariables.get('username')) {",
  "  pm.collectionVariables.set('username', 'postman_' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6))",
  '}'
]

/** After every request: any answer carrying an access and a refresh token becomes the session for what follows. */
export const AFTER_EACH_REQUEST = [
  "const answer = pm.response.headers.get('Content-Type') || ''",
  "if (pm.response.code < 300 && answer.startsWith('application/json')) {",
  '  const body = pm.response.json()',
  "  if (typeof body.access === 'string') pm.collectionVariables.set('bearerToken', body.access)",
  "  if (typeof body.refresh === 'string') pm.collectionVariables.set('refreshToken', body.refresh)",
  '}'
]

export interface ResponseCheck {
  status: number
  /** The JSON schema of the answer, when it is JSON. */
  schema?: object
  capture?: Record<string, string>
}

/** Checks one request's answer: its status, its body against the document's schema, and captures what follows needs. */
export function responseChecks({ status, schema, capture = {} }: ResponseCheck): string[] {
  return [
    `pm.test('answers ${status}', function () {`,
    `  pm.response.to.have.status(${status})`,
    '})',
    ...(schema
      ? [
          "pm.test('the answer matches the OpenAPI schema', function () {",
          `  pm.response.to.have.jsonSchema(${JSON.stringify(schema)})`,
          '})'
        ]
      : []),
    ...Object.entries(capture).map(
      ([variable, field]) => `pm.collectionVariables.set('${variable}', String(pm.response.json()['${field}']))`
    )
  ]
}
