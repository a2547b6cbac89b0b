/**
 * The order in which `newman` (and Postman's runner) sends the requests, and what each step needs beyond what the
 * OpenAPI document says. Operations missing here run afterwards, in document order, expecting their first 2xx status;
 * a new operation that needs setup of its own gets a step here.
 */
export interface FlowStep {
  operationId: string
  /** Path parameters as Postman values, such as `{{chatId}}`. */
  pathVariables?: Record<string, string>
  /** Collection variables to set from fields of the JSON answer. */
  capture?: Record<string, string>
}

export const FLOW: FlowStep[] = [
  { operationId: 'checkHealth' },
  { operationId: 'checkReadiness' },
  { operationId: 'register' },
  { operationId: 'login' },
  { operationId: 'obtainTokenPair' },
  { operationId: 'sendChatMessage', capture: { chatId: 'id' } },
  { operationId: 'getTokenBalance' },
  { operationId: 'listChats' },
  { operationId: 'getChat', pathVariables: { id: '{{chatId}}' } },
  { operationId: 'refreshTokenPair' },
  { operationId: 'getMetrics' }
]

/** Request body fields that take a collection variable instead of the document's example, whatever the operation. */
export const BODY_VARIABLES: Record<string, string> = {
  username: '{{username}}',
  password: '{{password}}',
  refresh: '{{refreshToken}}'
}

/** `username` is filled in before the first request with a fresh name, so the collection can run again and again. */
export const COLLECTION_VARIABLES: Record<string, string> = {
  baseUrl: 'http://127.0.0.1:3000',
  username: '',
  password: 'correct horse battery staple',
  bearerToken: '',
  refreshToken: '',
  chatId: ''
}
