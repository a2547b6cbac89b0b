import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import t from 'tap'
import { chromiumCanRun, openPage } from './browser.js'
import { build, signUp } from './helper.js'

/** The status and body of the answer Swagger UI shows once it has sent an operation's "Try it out" request. */
async function execute(page: Page, operation: string) {
  const block = page.locator(`#operations-${operation}`)
  await block.locator('.opblock-summary').click()
  // tryItOutEnabled: the operation opens in "Try it out" mode, its example body filled in.
  await block.locator('.execute').click()
  const answer = block.locator('.live-responses-table .response')
  const status = await answer.locator('.response-col_status').textContent()
  const body = await answer.locator('.highlight-code .microlight').textContent()
  return { status: status?.trim(), body: body ?? '' }
}

/** The data of the `done` event of a Server-Sent Events body: the chat as stored. */
function doneEventOf(body: string) {
  const data = /^event: done\ndata: (.*)$/m.exec(body)?.[1]
  return data === undefined ? undefined : JSON.parse(data)
}

if (chromiumCanRun()) {
  t.test('in Chromium, /docs authorizes with a bearer token and its "Try it out" calls work', async (t) => {
    const { page, errors } = await openPage(t)
    const { app } = await build(t)
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    const { access, headers } = await signUp(app, 'docs-reader')

    await page.goto(`http://127.0.0.1:${port}/docs/`)
    await page.locator('.btn.authorize').click()
    const modal = page.locator('.auth-container')
    await modal.locator('input[type=text]').fill(access)
    await modal.locator('button.authorize').click()
    await modal.getByText('Authorized').waitFor()
    await modal.locator('.btn-done').click()

    const balance = await execute(page, 'account-getTokenBalance')
    t.equal(balance.status, '200', 'the balance is read with the token')
    t.same(JSON.parse(balance.body), { username: 'docs-reader', tokens: 4000 })

    // The example body as it stands: a first message, which a new user can send.
    const sent = await execute(page, 'chat-sendChatMessage')
    t.equal(sent.status, '200', 'the chat is answered (as an event stream, the first media type offered)')
    const chat = doneEventOf(sent.body)
    t.match(chat, { message: 'What is the capital of France?', status: 'completed', remaining_tokens: 3900 })

    const history = await app.inject({ method: 'GET', url: '/api/chats/', headers })
    t.match(history.json().items, [{ id: chat.id, message: chat.message, response: chat.response }])
    t.equal(history.json().items.length, 1, 'one chat in the history')
    const listed = await execute(page, 'chat-listChats')
    t.equal(listed.status, '200')
    t.match(JSON.parse(listed.body).items, [{ id: chat.id, message: chat.message }], 'the page lists it too')

    t.same(errors, [], 'no console error and no uncaught exception on the page')
  })
}
