import type { Load } from './load.js'
import type { Settings } from './settings.js'

export interface Scenario {
  id: string
  title: string
  /** The measured traffic. The baseline gets the same method, body, connections and rate at `/`. */
  load: Load
  /** Traffic sent at the same time and reported on the side (the login flood). */
  background?: Load
}

/** Who the requests act as: headers that authenticate each user, and a body that logs the reader in. */
export interface Actors {
  reader: Record<string, string>
  smallHistoryOwner: Record<string, string>
  largeHistoryOwner: Record<string, string>
  /** Users who chat in turn, one a request: traffic that is not one user's chats, each waiting for the last. */
  chatters: Array<Record<string, string>>
  loginBody: string
}

const JSON_BODY = { 'content-type': 'application/json' }

/** The scenarios PostgreSQL is measured in, when BENCH_DATABASE_URL is set (issue 12's targets name chat and balance). */
export const POSTGRES_SCENARIOS = ['balance', 'chat', 'chat-users', 'history-small', 'history-large']

/** The scenarios also measured against the minimal server (bench/minimal-server.ts), which answers their routes. */
export const MINIMAL_SCENARIOS = ['balance', 'chat', 'history-small', 'history-large']

/** Every scenario's id (they do not depend on who the requests act as). */
export function scenarioIds(settings: Settings): string[] {
  const nobody = { reader: {}, smallHistoryOwner: {}, largeHistoryOwner: {}, chatters: [], loginBody: '' }
  return scenarios(settings, nobody).map((scenario) => scenario.id)
}

export function scenarios(settings: Settings, actors: Actors): Scenario[] {
  const { connections, fixedRate, historySizes } = settings
  const balance: Load = { method: 'GET', path: '/api/tokenbalance/', headers: actors.reader, connections }
  const chat: Load = {
    method: 'POST',
    path: '/api/chat_msg/',
    headers: { ...actors.reader, ...JSON_BODY },
    body: JSON.stringify({ message: 'What is the capital of France?' }),
    connections
  }
  const history = (owner: Record<string, string>): Load => ({
    method: 'GET',
    path: '/api/chats/',
    headers: owner,
    connections
  })
  const login: Load = {
    method: 'POST',
    path: '/api/login/',
    headers: JSON_BODY,
    body: actors.loginBody,
    connections: settings.loginClients
  }
  const rate = fixedRate.toLocaleString('en-US')

  return [
    { id: 'balance', title: 'GET /api/tokenbalance/', load: balance },
    { id: 'chat', title: 'POST /api/chat_msg/', load: chat },
    {
      id: 'chat-users',
      title: `POST /api/chat_msg/ (${actors.chatters.length} users in turn)`,
      load: { ...chat, rotatingHeaders: actors.chatters }
    },
    {
      id: 'history-small',
      title: `GET /api/chats/ (${historySizes.small.toLocaleString('en-US')} chats)`,
      load: history(actors.smallHistoryOwner)
    },
    {
      id: 'history-large',
      title: `GET /api/chats/ (${historySizes.large.toLocaleString('en-US')} chats)`,
      load: history(actors.largeHistoryOwner)
    },
    { id: 'login', title: 'POST /api/login/', load: { ...login, connections } },
    {
      id: 'balance-during-logins',
      title: `balance while ${settings.loginClients} clients log in`,
      load: balance,
      background: login
    },
    { id: 'balance-fixed-rate', title: `balance at ${rate} req/s`, load: { ...balance, overallRate: fixedRate } },
    { id: 'chat-fixed-rate', title: `chat at ${rate} req/s`, load: { ...chat, overallRate: fixedRate } }
  ]
}
