/** A connection URL as messages and logs may show it: its password replaced by `***`; undefined if it cannot be parsed. */
export function urlWithoutPassword(text: string): string | undefined {
  try {
    const url = new URL(text)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return undefined
  }
}
