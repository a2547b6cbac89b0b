/** Aligns rows under a header; the columns listed in `rightAligned` (numbers) are padded on the left. */
export function formatTable(header: string[], rows: string[][], rightAligned: number[] = []): string {
  const all = [header, ...rows]
  const widths = header.map((_, column) => Math.max(...all.map((row) => [...(row[column] ?? '')].length)))
  const line = (row: string[]) =>
    row
      .map((cell, column) => {
        const padding = ' '.repeat(widths[column]! - [...cell].length)
        return rightAligned.includes(column) ? padding + cell : cell + padding
      })
      .join('  ')
      .trimEnd()
  return all.map(line).join('\n') + '\n'
}
