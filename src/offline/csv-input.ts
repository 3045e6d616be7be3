import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { parse } from 'csv-parse'

/** A CSV file being read. */
export interface CsvInput {
  records: AsyncIterable<string[]>
  bytesRead(): number
  /** The file's sha256; only once every record has been read. */
  sha256(): string
  close(): void
}

const MAX_RECORD_BYTES = 1 << 20

/**
 * Streams a CSV file as arrays of cells with csv-parse (BOM dropped, CRLF fine, quotes per
 * RFC 4180), hashing the bytes on the way.
 */
export const openCsv = async (file: string): Promise<CsvInput> => {
  const hash = createHash('sha256')
  let bytes = 0
  // Small reads: the record loop yields to the event loop (COPY traffic) every ~64 KiB of file.
  const input = createReadStream(file, { highWaterMark: 64 << 10 })
  input.on('data', (chunk) => {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  })
  const parser = input.pipe(
    parse({
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  )
  input.on('error', (e) => parser.destroy(e))
  return {
    records: parser as AsyncIterable<string[]>,
    bytesRead: () => bytes,
    sha256: () => hash.digest('hex'),
    close: () => input.destroy(),
  }
}
