import t from 'tap'
import { estimatePromptTokens, estimateTokens } from '../../src/pricing/estimate.js'
import { promptTokenBound } from '../../src/pricing/prompt-bound.js'

t.test('text is counted in o200k_base tokens', async (t) => {
  t.equal(estimateTokens(''), 0)
  t.equal(estimateTokens('hello world'), 2)
  t.equal(estimateTokens('😀😀😀 日本語'), 5)
})

t.test('text that looks like a special token is counted as text, not refused', async (t) => {
  t.equal(estimateTokens('a <|endoftext|> b'), 9)
  t.ok(estimateTokens('<|im_start|>') > 1)
})

t.test('a prompt is its messages with 3 tokens each, and 3 to prime the reply', async (t) => {
  t.equal(estimatePromptTokens([]), 3)
  t.equal(
    estimatePromptTokens([
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'hello world' }
    ]),
    estimateTokens('You are a helpful assistant.') + 3 + 2 + 3 + 3
  )
})

t.test('the estimate stays within the bound the hold was taken for', async (t) => {
  const messages = [
    { role: 'user', content: '' },
    { role: 'assistant', content: 'x' }
  ]
  t.equal(estimatePromptTokens(messages), 0 + 3 + 1 + 3 + 3)
  t.ok(estimatePromptTokens(messages) <= promptTokenBound(messages))
})
