import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import type { RowError } from './convert-row.js'

/** The bad rows of a `skip` ingest, as CSV: original columns, then `_row`, `_column`, `_reason`. */
export interface RejectsWriter {
  /** One line per bad record; several bad cells are joined with ` | `. */
  write(cells: readonly string[], errors: readonly RowError[]): Promise<void>
  close(): Promise<void>
}

/** Opens (truncates) `file` and writes the header. */
export const openRejectsWriter = async (
  file: string,
  header: readonly string[],
): Promise<RejectsWriter> => {
  const out = createWriteStream(file)
  await once(out, 'open')
  const csv = stringify()
  csv.pipe(out)
  const write = async (line: readonly string[]): Promise<void> => {
    if (!csv.write(line)) await once(csv, 'drain')
  }
  await write([...header, '_row', '_column', '_reason'])
  let closed = false
  return {
    write: (cells, errors) =>
      write([
        ...header.map((_, i) => cells[i] ?? ''),
        String(errors[0]?.row ?? ''),
        errors.map((e) => e.column).join(' | '),
        errors.map((e) => e.reason).join(' | '),
      ]),
    close: async () => {
      if (closed) return
      closed = true
      csv.end()
      await finished(out)
    },
  }
}
