import type { Writable } from 'node:stream'

/** The parts of `process.stdin` that reading a hidden line needs; a TTY has `setRawMode`. */
export interface TerminalInput extends NodeJS.ReadableStream {
  isTTY?: boolean
  setRawMode?(mode: boolean): unknown
}

export class PromptCancelled extends Error {
  override name = 'PromptCancelled'
}

const ENTER = new Set(['\r', '\n'])
const CANCEL = new Set(['\u0003', '\u0004'])
const BACKSPACE = new Set(['\u007f', '\b'])

/** Reads one line from the terminal without echoing it; Ctrl-C or Ctrl-D cancels. */
export function readHiddenLine(input: TerminalInput, output: Writable, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed: string[] = []
    const finish = (error?: Error) => {
      input.removeListener('data', onData)
      input.setRawMode?.(false)
      input.pause()
      output.write('\n')
      if (error) reject(error)
      else resolve(typed.join(''))
    }
    const onData = (chunk: Buffer | string) => {
      for (const character of String(chunk)) {
        if (ENTER.has(character)) return finish()
        if (CANCEL.has(character)) return finish(new PromptCancelled('cancelled'))
        typed = BACKSPACE.has(character) ? typed.slice(0, -1) : [...typed, character]
      }
    }
    output.write(question)
    input.setRawMode?.(true)
    input.on('data', onData)
    input.resume()
  })
}
