/**
 * The order in which `newman` (and Postman's runner) sends the requests, and what each step needs beyond what the
 * OpenAPI document says. Operations missing here run afterwards, in document order, expecting their first 2xx status;
 * a new operation that needs setup of its own gets a step here. An operation named twice is sent twice.
 */
export interface FlowStep {
  operationId: string
  /** Path parameters as Postman values, such as `{{chatId}}`. */
  pathVariables?: Record<string, string>
  /** Collection variables to set from fields of the JSON answer. */
  capture?: Record<string, string>
  /** Body fields for this step only: a value (usually a variable), or null to leave the field out. */
  body?: Record<string, string | null>
  /** The status this step must answer when it is not the first documented 2xx (its body is then not checked). */
  expectStatus?: number
  /** A bearer token for this step instead of the session's access token, such as `{{apiKey}}`. */
  bearer?: string
}

export const FLOW: FlowStep[] = [
  { operationId: 'checkHealth' },
  { operationId: 'checkReadiness' },
  { operationId: 'register' },
  { operationId: 'login' },
  { operationId: 'listModels' },
  { operationId: 'sendChatMessage', capture: { chatId: 'id', conversationId: 'conversation_id' } },
  { operationId: 'getTokenBalance' },
  { operationId: 'getSpendLimits' },
  { operationId: 'updateAccount' },
  { operationId: 'listTransactions' },
  { operationId: 'getUsageReport' },
  // The examples name a model the server may not offer and an expiry that will pass: the key is made without them.
  {
    operationId: 'createApiKey',
    body: { models: null, expires_at: null },
    capture: { keyId: 'id', apiKey: 'secret' }
  },
  { operationId: 'listApiKeys' },
  { operationId: 'listOpenAiModels', bearer: '{{apiKey}}' },
  { operationId: 'createChatCompletion', bearer: '{{apiKey}}' },
  { operationId: 'updateApiKey', pathVariables: { id: '{{keyId}}' }, body: { models: null } },
  { operationId: 'revokeApiKey', pathVariables: { id: '{{keyId}}' } },
  // The collection's user is no administrator: the admin API must refuse it.
  { operationId: 'adminListUsers', expectStatus: 403 },
  { operationId: 'adminAdjustTokens', pathVariables: { username: '{{username}}' }, expectStatus: 403 },
  { operationId: 'adminUpdateUser', pathVariables: { username: '{{username}}' }, expectStatus: 403 },
  { operationId: 'adminListUserTransactions', pathVariables: { username: '{{username}}' }, expectStatus: 403 },
  { operationId: 'adminListUserChats', pathVariables: { username: '{{username}}' }, expectStatus: 403 },
  { operationId: 'adminUnlockUser', pathVariables: { username: '{{username}}' }, expectStatus: 403 },
  { operationId: 'adminGetUsageReport', expectStatus: 403 },
  { operationId: 'adminListUserKeys', pathVariables: { username: '{{username}}' }, expectStatus: 403 },
  { operationId: 'adminRevokeApiKey', pathVariables: { id: '{{keyId}}' }, expectStatus: 403 },
  { operationId: 'listChats' },
  { operationId: 'getChat', pathVariables: { id: '{{chatId}}' } },
  { operationId: 'listConversations' },
  { operationId: 'getConversation', pathVariables: { id: '{{conversationId}}' } },
  { operationId: 'renameConversation', pathVariables: { id: '{{conversationId}}' } },
  { operationId: 'deleteConversation', pathVariables: { id: '{{conversationId}}' } },
  { operationId: 'refreshTokenPair' },
  { operationId: 'changePassword', body: { old_password: '{{password}}', new_password: '{{password}}' } },
  { operationId: 'getMetrics' },
  { operationId: 'logout' },
  { operationId: 'obtainTokenPair' },
  { operationId: 'verifyToken', body: { token: '{{bearerToken}}' } },
  { operationId: 'logoutAll' },
  { operationId: 'blacklistRefreshToken', expectStatus: 401 },
  // Every login has ended by now: a new one deletes the collection's user, last of all.
  { operationId: 'login' },
  { operationId: 'deleteAccount', body: { password: '{{password}}' } }
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
  chatId: '',
  conversationId: '',
  keyId: '',
  apiKey: ''
}
