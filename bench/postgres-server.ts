import pg from 'pg'

/** The PostgreSQL server a run measured on, as results.json records it: settings that decide what a commit costs. */
export interface PostgresServer {
  /** The server's URL without password or database. */
  server: string
  version: string
  settings: Record<string, string>
}

const RECORDED_SETTINGS = ['synchronous_commit', 'fsync', 'shared_buffers', 'max_connections']

export async function describePostgresServer(url: string): Promise<PostgresServer> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `select name, current_setting(name) as setting from unnest($1::text[]) as name`,
      [['server_version', ...RECORDED_SETTINGS]]
    )
    const settings = Object.fromEntries(rows.map(({ name, setting }) => [name, setting]))
    const { server_version: version = 'unknown', ...recorded } = settings
    const address = new URL(url)
    return { server: `${address.protocol}//${address.host}`, version, settings: recorded }
  } finally {
    await client.end()
  }
}
