import { stat } from 'node:fs/promises'
import { type CsvInput, openCsv } from '../core/csv-input.js'
import { AppError } from '../core/errors.js'
import { refuseOutputOverInput } from '../core/same-file.js'
import type { Db } from '../db/connect.js'
import type { FeatureRepo } from '../features/repo.js'
import { checkHeader, makeRowConverter, type RowError } from './convert-row.js'
import { makeRecordEncoder, type RecordEncoder } from './copy-encoder.js'
import type { OfflineStore } from './offline-store.js'
import { openRejectsWriter, type RejectsWriter } from './rejects-file.js'
import { analyzeKeyColumns, openRowWriter } from './row-writer.js'
import { inSession } from './session.js'
import { type ViewTable, viewTable } from './view-tables.js'

/** Progress of an ingest, reported every few thousand rows. */
export interface IngestProgress {
  rowsRead: number
  bytesRead: number
  totalBytes: number
}

export interface IngestOptions {
  db: Db
  store: OfflineStore
  repo: FeatureRepo
  /** The source whose views the file feeds. */
  source: string
  file: string
  /** `reject` (default): any bad row rejects the whole file. `skip`: store the good rows. */
  onError?: 'reject' | 'skip'
  /** With `skip`: where to write bad rows (original columns + `_row`, `_column`, `_reason`). */
  rejectsFile?: string
  onProgress?: (p: IngestProgress) => void
}

export interface IngestReport {
  source: string
  file: string
  fileSha256: string
  /** Data rows read (header excluded). */
  rowsRead: number
  /** Rows newly stored, summed over the source's views (0 when the file was ingested before). */
  rowsStored: number
  rowsRejected: number
  /**
   * Good rows not stored, summed over the views: a row with the same entity key, event time and
   * created time was stored before or came earlier in the file (the first write wins).
   */
  rowsSkipped: number
  /**
   * Of the skipped rows, those whose field values differ from the row kept for their key: a
   * corrected file whose times did not change. They are not stored (see `rowsSkipped`).
   */
  rowsConflicting: number
  /** Newly stored rows per view. */
  storedByView: Record<string, number>
  /** Every error of every rejected row (with `skip`; with `reject` they are thrown instead). */
  errors: RowError[]
}

const PROGRESS_EVERY = 10_000
/** Small batches keep the server busy while rows are read, and leave little for the end. */
const FLUSH_CHECK_EVERY = 1_000
/** Errors quoted in the thrown message; all of them are in `details`. */
const ERRORS_IN_MESSAGE = 5

/**
 * Ingests one CSV file of a source into the offline store: streams it (header row, CRLF and BOM
 * fine), converts each record with the source's converter and stores the rows of all its views in
 * ONE transaction, with a row in `ingestions` (file sha256 and counts). Rows already stored (same
 * key, event time, created time) are skipped, so re-ingesting a file adds nothing.
 *
 * A missing column fails before any row is read. With `onError: 'reject'` a file with any bad row
 * throws VALIDATION whose message names the first bad rows and whose `details` lists every bad
 * cell (row, column, value, reason); nothing is stored. With `skip` the good rows are stored and the
 * bad ones reported (and written to `rejectsFile`).
 */
export const ingestCsv = async (options: IngestOptions): Promise<IngestReport> => {
  const { db, store, repo, source, file } = options
  const onError = options.onError ?? 'reject'
  const views = repo.viewsOfSource(repo.source(source).name)
  if (views.length === 0) {
    throw new AppError('VALIDATION', `source ${source} feeds no view; nothing to ingest`, {
      field: source,
    })
  }
  const totalBytes = await fileSize(file)
  if (options.rejectsFile) await refuseOutputOverInput(file, options.rejectsFile, '--rejects')
  await store.ensureTables(views)
  const convert = makeRowConverter(repo, source)
  const tables = views.map(viewTable)
  const errors: RowError[] = []
  let rejects: RejectsWriter | undefined
  let rowsRead = 0
  let rowsRejected = 0
  let csv: CsvInput | undefined
  try {
    let firstLoads: ViewTable[] = []
    const report = await inSession(db, async (s): Promise<IngestReport> => {
      const writer = await openRowWriter(s, tables)
      // Opened only now: a parse error must find the loop below listening.
      csv = await openCsv(file)
      let header: string[] | undefined
      let encode: RecordEncoder | undefined
      const viewNames = views.map((v) => v.name)
      let rowsOffered = 0
      for await (const batch of csv.batches) {
        for (const cells of batch) {
          if (!header) {
            header = cells
            checkHeader(repo, source, header)
            encode = makeRecordEncoder(repo, source, header)
            if (onError === 'skip' && options.rejectsFile) {
              rejects = await openRejectsWriter(options.rejectsFile, header)
            }
            continue
          }
          rowsRead += 1
          // A good record goes straight to COPY lines, no row objects.
          const encoded =
            encode && cells.length === header.length ? encode(cells, rowsRead) : undefined
          if (encoded) {
            if (onError === 'skip' || errors.length === 0) {
              for (let v = 0; v < viewNames.length; v++) {
                const line = encoded[v]
                if (line !== undefined) {
                  writer.addLine(viewNames[v] as string, line)
                  rowsOffered += 1
                }
              }
            }
          } else {
            // A record the encoder refused: the row converter names every bad cell.
            const record = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))
            const result =
              cells.length === header.length
                ? convert(record, rowsRead)
                : {
                    ok: false as const,
                    errors: [fieldCountError(rowsRead, cells.length, header.length)],
                  }
            if (result.ok) {
              // Once a rejecting ingest has seen a bad row, the rest is only validated.
              if (onError === 'skip' || errors.length === 0) {
                for (const r of result.rows) writer.add(r.view, r.row)
                rowsOffered += result.rows.length
              }
            } else {
              rowsRejected += 1
              for (const e of result.errors) errors.push(e)
              if (rejects) await rejects.write(cells, result.errors)
            }
          }
          if (rowsRead % FLUSH_CHECK_EVERY === 0) await writer.flushIfFull()
          if (rowsRead % PROGRESS_EVERY === 0)
            options.onProgress?.({ rowsRead, bytesRead: csv.bytesRead(), totalBytes })
        }
      }
      if (!header)
        throw new AppError('VALIDATION', `${file}: empty file (no header row)`, { field: file })
      if (errors.length && onError === 'reject') throw rejectedFile(file, rowsRejected, errors)
      const storedByView = Object.fromEntries(await writer.finish())
      firstLoads = writer.firstLoads()
      const rowsConflicting = [...writer.conflicts().values()].reduce((a, b) => a + b, 0)
      const rowsStored = Object.values(storedByView).reduce((a, b) => a + b, 0)
      const fileSha256 = csv.sha256()
      await s.tx
        .insertInto('ingestions')
        .values({
          source,
          file_sha256: fileSha256,
          rows_read: rowsRead,
          rows_stored: rowsStored,
          rows_rejected: rowsRejected,
          ingested_at: new Date(),
        })
        .execute()
      options.onProgress?.({ rowsRead, bytesRead: csv.bytesRead(), totalBytes })
      return {
        source,
        file,
        fileSha256,
        rowsRead,
        rowsStored,
        rowsRejected,
        rowsSkipped: rowsOffered - rowsStored,
        rowsConflicting,
        storedByView,
        errors,
      }
    })
    await analyzeKeyColumns(db, firstLoads)
    return report
  } finally {
    csv?.close()
    await rejects?.close()
  }
}

const fileSize = async (file: string): Promise<number> => {
  try {
    return (await stat(file)).size
  } catch (e) {
    throw new AppError('NOT_FOUND', `${file}: cannot read the file (${(e as Error).message})`, {
      field: file,
      cause: e,
    })
  }
}

const fieldCountError = (row: number, got: number, want: number): RowError => ({
  row,
  column: '(record)',
  value: '',
  reason: `has ${got} fields, the header has ${want}`,
})

/** One bad cell, one line: how reports and messages name it. */
export const describeRowError = (e: RowError): string =>
  `row ${e.row} column '${e.column}' value '${e.value}': ${e.reason}`

const rejectedFile = (file: string, rows: number, errors: RowError[]): AppError => {
  const lines = errors.map(describeRowError)
  const shown = lines.slice(0, ERRORS_IN_MESSAGE).join('; ')
  const more =
    errors.length > ERRORS_IN_MESSAGE ? ` (+${errors.length - ERRORS_IN_MESSAGE} more)` : ''
  return new AppError(
    'VALIDATION',
    `${file}: rejected, nothing stored: ${rows} bad row(s): ${shown}${more}`,
    { field: file, details: errors, report: lines },
  )
}
