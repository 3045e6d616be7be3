import { openCsvOutput } from '../core/csv-output.js'
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
  const csv = await openCsvOutput(file)
  await csv.write([...header, '_row', '_column', '_reason'])
  return {
    write: (cells, errors) =>
      csv.write([
        ...header.map((_, i) => cells[i] ?? ''),
        String(errors[0]?.row ?? ''),
        errors.map((e) => e.column).join(' | '),
        errors.map((e) => e.reason).join(' | '),
      ]),
    close: () => csv.close(),
  }
}
