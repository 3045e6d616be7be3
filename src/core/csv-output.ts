import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { csvText } from './csv-text.js'
import { AppError } from './errors.js'

/** A CSV file being written, one record at a time. */
export interface CsvOutput {
  /** Appends one record; waits when the file is behind. */
  write(cells: readonly string[]): Promise<void>
  /** Flushes and closes the file; later calls do nothing. */
  close(): Promise<void>
}

/** Opens (truncates) `file` for CSV records; fails now if it cannot be created. */
export const openCsvOutput = async (file: string): Promise<CsvOutput> => {
  const out = createWriteStream(file)
  try {
    await once(out, 'open')
  } catch (e) {
    // A missing folder or no permission: the user's path, not an internal fault.
    throw new AppError('VALIDATION', `${file}: cannot write the file (${(e as Error).message})`, {
      field: file,
      cause: e,
    })
  }
  let closed = false
  return {
    write: async (cells) => {
      if (!out.write(csvText([cells]))) await once(out, 'drain')
    },
    close: async () => {
      if (closed) return
      closed = true
      out.end()
      await finished(out)
    },
  }
}
