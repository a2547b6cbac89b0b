/** Where the run says what it is doing: stderr, so that stdout carries only the table. */
export function progress(message: string) {
  process.stderr.write(`bench: ${message}\n`)
}
