import t from 'tap'
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base'
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base'
import { PER_MESSAGE_OVERHEAD, PER_REQUEST_OVERHEAD, promptTokenBound } from '../../src/pricing/prompt-bound.js'

t.test('the bound is the UTF-8 bytes of each content, plus 8 a message and 8 a request', async (t) => {
  t.equal(PER_MESSAGE_OVERHEAD, 8)
  t.equal(PER_REQUEST_OVERHEAD, 8)
  t.equal(promptTokenBound([]), 8)
  t.equal(promptTokenBound([{ role: 'user', content: 'hello' }]), 5 + 8 + 8)
  t.equal(promptTokenBound([{ role: 'user', content: '' }]), 16)
  // 日本 is 6 bytes, 😀 is 4, é is 2
  t.equal(
    promptTokenBound([
      { role: 'system', content: '日本' },
      { role: 'user', content: '😀é' }
    ]),
    6 + 8 + 6 + 8 + 8
  )
  // a lone surrogate is sent as U+FFFD, 3 bytes
  t.equal(promptTokenBound([{ role: 'user', content: '\ud83d' }]), 3 + 16)
})

t.test('each role this service sends is one token, as the per-message overhead assumes', async (t) => {
  for (const role of ['system', 'user', 'assistant']) {
    t.equal(countO200k(role), 1, `${role} in o200k_base`)
    t.equal(countCl100k(role), 1, `${role} in cl100k_base`)
  }
})
