import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { PASSWORD } from '../helper.js'
import { startServer } from '../server-process.js'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** The README's JavaScript example for `/v1`: the OpenAI SDK with only `baseURL` and `apiKey` changed. */
function sdkExample(port: string): string {
  const section = README.slice(README.indexOf('## OpenAI-compatible API (`/v1`)'))
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1]
  if (!example) throw new Error('the README has no JavaScript example for /v1')
  return example.replace('http://localhost:3000/v1', `http://127.0.0.1:${port}/v1`)
}

async function post(baseUrl: string, path: string, body: object, access?: string) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(access ? { authorization: `Bearer ${access}` } : {}) },
    body: JSON.stringify(body)
  })
  return response.json()
}

t.test(
  'the README’s openai SDK example runs against a server started as `npm start` does, spending as priced',
  async (t) => {
    const { baseUrl } = await startServer(t)
    await post(baseUrl, '/api/register/', { username: 'alice', password: PASSWORD })
    const { access } = await post(baseUrl, '/api/login/', { username: 'alice', password: PASSWORD })
    const { secret } = await post(baseUrl, '/api/keys/', { name: 'readme' }, access)

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', sdkExample(new URL(baseUrl).port)],
      { env: { ...process.env, KEY: secret }, cwd: new URL('../..', import.meta.url).pathname }
    )

    t.match(stdout, /^\[offline reply\] /, 'the answer is printed')
    t.match(stdout, /cost: 100/, 'the default model costs CHAT_COST a call')
    const balance = await fetch(`${baseUrl}/api/tokenbalance/`, { headers: { authorization: `Bearer ${access}` } })
    t.same(await balance.json(), { username: 'alice', tokens: 3900 }, 'the call spent from the balance')
  }
)
