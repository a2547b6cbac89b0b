export type CsvValue = string | number | null

const NEEDS_QUOTES = /[",\r\n]/

/** RFC 4180: a field with a comma, a double quote or a line break is quoted, and its double quotes doubled. */
function csvField(value: CsvValue): string {
  const text = value === null ? '' : String(value)
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** RFC 4180 text: the header row, then a record per row, each line ended by CRLF; null is an empty field. */
export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('')
}
