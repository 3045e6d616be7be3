import { openCsv } from '../core/csv-input.js'
import { openCsvOutput } from '../core/csv-output.js'
import { AppError } from '../core/errors.js'
import { EVENT_TIMESTAMP_COLUMN } from '../features/cross-check.js'
import { hasNul, NUL_REASON } from '../features/field-parser.js'
import type { FeatureRepo } from '../features/repo.js'
import { parseTimestamp } from '../features/timestamp.js'
import type { EntityRow, FeatureValue, OfflineStore } from '../offline/offline-store.js'

export interface HistoricalCsvOptions {
  store: OfflineStore
  repo: FeatureRepo
  /**
   * CSV with the entity's join key column and `event_timestamp` (ISO 8601; no zone = UTC); any
   * other column (a label, a sample id) is passed through to the output as it is.
   */
  entitiesFile: string
  /** `view:feature` references; label views are allowed (training sets need labels). */
  refs: readonly string[]
  outFile: string
  /** Called every few thousand rows of each phase, and once as each phase starts. */
  onProgress?: (p: HistoricalProgress) => void
}

/** Where `writeHistoricalCsv` is: reading entity rows, joining in SQL, or writing the output. */
export interface HistoricalProgress {
  phase: 'reading' | 'joining' | 'writing'
  done: number
  /** Known once the entity file is read. */
  total?: number
}

const PROGRESS_EVERY = 10_000

export interface HistoricalCsvReport {
  rows: number
  columns: string[]
}

/**
 * `ward historical`: a point-in-time-correct training set as CSV. Output: the entity file's
 * columns (the join key first, then any others in file order, passed through as Feast keeps an
 * entity dataframe's columns), `event_timestamp` (as given), then one column per reference named
 * as the reference; one line per entity row, in input order, duplicates kept; empty cells where
 * no value was valid then. All references must resolve and key on one entity, and no passed
 * column may be named like a reference. Nothing is written when the input is bad.
 */
export const writeHistoricalCsv = async (
  options: HistoricalCsvOptions,
): Promise<HistoricalCsvReport> => {
  const { repo, refs, entitiesFile } = options
  if (refs.length === 0)
    throw new AppError('VALIDATION', 'no features requested', { field: 'features' })
  const groups = repo.resolveOneEntity(refs)
  const joinKey = repo.entity(groups[0]?.view.entity ?? '').join_key
  const progress = options.onProgress
  const input = await readEntityFile(entitiesFile, joinKey, progress)
  const clash = input.passed.names.filter((c) => refs.includes(c))
  if (clash.length) {
    throw new AppError(
      'VALIDATION',
      `${entitiesFile}: column(s) ${clash.map((c) => `'${c}'`).join(', ')} would appear twice in the output: rename them or request other features`,
      { field: entitiesFile },
    )
  }
  const total = input.rows.length
  progress?.({ phase: 'joining', done: 0, total })
  const result = await options.store.historical({
    entityRows: input.rows,
    features: groups.map((g) => ({ view: g.view, fields: g.fields })),
  })
  const names = groups.flatMap((g) => g.fields.map((f) => `${g.view.name}:${f}`))
  const columns = [joinKey, ...input.passed.names, EVENT_TIMESTAMP_COLUMN, ...refs]
  const csv = await openCsvOutput(options.outFile)
  const write = csv.write
  await write(columns)
  for (let i = 0; i < result.length; i++) {
    if (i % PROGRESS_EVERY === 0) progress?.({ phase: 'writing', done: i, total })
    const values = result[i] ?? {}
    const byName = new Map(names.map((n) => [n, values[n] ?? null]))
    await write([
      input.rows[i]?.entityKey ?? '',
      ...(input.passed.cells[i] ?? []),
      input.timestamps[i] ?? '',
      ...refs.map((r) => cell(byName.get(r) ?? null)),
    ])
  }
  await csv.close()
  progress?.({ phase: 'writing', done: result.length, total })
  return { rows: result.length, columns }
}

const cell = (v: FeatureValue): string => (v === null ? '' : String(v))

interface EntityFile {
  rows: EntityRow[]
  /** The `event_timestamp` cells as written, echoed to the output. */
  timestamps: string[]
  /** The file's other columns and, per row, their cells as written. */
  passed: { names: string[]; cells: string[][] }
}

/** Reads the entity file; every bad row is reported (row and column), none is skipped. */
const readEntityFile = async (
  file: string,
  joinKey: string,
  progress: HistoricalCsvOptions['onProgress'],
): Promise<EntityFile> => {
  const rows: EntityRow[] = []
  const timestamps: string[] = []
  const passed: EntityFile['passed'] = { names: [], cells: [] }
  let passedAt: number[] = []
  const problems: string[] = []
  let header: string[] | undefined
  let dataRows = 0
  let keyAt = -1
  let tsAt = -1
  const csv = await openCsv(file)
  try {
    for await (const batch of csv.batches) {
      for (const cells of batch) {
        if (!header) {
          header = cells
          const repeated = header.filter((c, i) => header?.indexOf(c) !== i)
          if (repeated.length) {
            throw new AppError(
              'VALIDATION',
              `${file}: column(s) ${[...new Set(repeated)].map((c) => `'${c}'`).join(', ')} appear more than once in the header`,
              { field: file },
            )
          }
          // Every column reaches the output, so each needs a name (a trailing comma makes none).
          const unnamed = header.flatMap((c, i) => (c.trim() === '' ? [i + 1] : []))
          if (unnamed.length) {
            throw new AppError(
              'VALIDATION',
              `${file}: column(s) ${unnamed.join(', ')} of the header have no name`,
              { field: file },
            )
          }
          keyAt = header.indexOf(joinKey)
          tsAt = header.indexOf(EVENT_TIMESTAMP_COLUMN)
          passedAt = header.flatMap((_, i) => (i === keyAt || i === tsAt ? [] : [i]))
          passed.names = passedAt.map((i) => header?.[i] ?? '')
          const missing = [joinKey, EVENT_TIMESTAMP_COLUMN].filter((c) => !header?.includes(c))
          if (missing.length) {
            throw new AppError(
              'VALIDATION',
              `${file}: missing column(s) ${missing.map((m) => `'${m}'`).join(', ')} (has: ${header.join(', ')})`,
              { field: file },
            )
          }
          continue
        }
        dataRows += 1
        if (dataRows % PROGRESS_EVERY === 0) progress?.({ phase: 'reading', done: dataRows })
        const row = dataRows
        if (cells.length !== header.length) {
          problems.push(`row ${row}: has ${cells.length} fields, the header has ${header.length}`)
          continue
        }
        const key = (cells[keyAt] ?? '').trim()
        const text = (cells[tsAt] ?? '').trim()
        const at = parseTimestamp(text)
        if (key === '') problems.push(`row ${row} column '${joinKey}': empty entity key`)
        else if (hasNul(key)) problems.push(`row ${row} column '${joinKey}': ${NUL_REASON}`)
        if (!at)
          problems.push(
            `row ${row} column '${EVENT_TIMESTAMP_COLUMN}': '${text}' is not an ISO 8601 date-time`,
          )
        if (key !== '' && !hasNul(key) && at) {
          rows.push({ entityKey: key, eventTs: at })
          timestamps.push(cells[tsAt] ?? '')
          passed.cells.push(passedAt.map((i) => cells[i] ?? ''))
        }
      }
    }
  } finally {
    csv.close()
  }
  if (!header)
    throw new AppError('VALIDATION', `${file}: empty file (no header row)`, { field: file })
  if (problems.length) {
    const more = problems.length > 5 ? ` (+${problems.length - 5} more)` : ''
    throw new AppError('VALIDATION', `${file}: ${problems.slice(0, 5).join('; ')}${more}`, {
      field: file,
      details: problems,
    })
  }
  return { rows, timestamps, passed }
}
