import { AppError } from '../core/errors.js'
import { ROW_NUMBER_COLUMN } from '../features/cross-check.js'
import {
  CellRejection,
  compileFieldParser,
  type FieldParser,
  hasNul,
  NUL_REASON,
} from '../features/field-parser.js'
import type { FeatureRepo } from '../features/repo.js'
import type { Source } from '../features/schema.js'
import { parseTimestamp } from '../features/timestamp.js'
import type { FeatureRow, FeatureValue } from './offline-store.js'

/** Why one cell of one data row was rejected. `row` is the 1-based data row (header excluded). */
export interface RowError {
  row: number
  column: string
  value: string
  reason: string
}

/** A typed row for one view fed by the source. */
export interface ConvertedRow {
  view: string
  row: FeatureRow
}

/** Typed rows for every view of the source, or every error of the record (then no rows). */
export type ConvertResult = { ok: true; rows: ConvertedRow[] } | { ok: false; errors: RowError[] }

/** One parsed CSV record (column → raw text) and its 1-based data row number → typed rows. */
export type RowConverter = (
  record: Readonly<Record<string, string | undefined>>,
  rowNumber: number,
) => ConvertResult

/** A column the source's definitions read, and what reads it (for header messages). */
export interface RequiredColumn {
  column: string
  usedBy: string
}

/** Every column an ingest of this source reads, once each, in definition order. */
export const requiredColumns = (repo: FeatureRepo, sourceName: string): RequiredColumn[] => {
  const source = repo.source(sourceName)
  const out = new Map<string, string>()
  const need = (column: string, usedBy: string) => {
    if (column !== ROW_NUMBER_COLUMN && !out.has(column)) out.set(column, usedBy)
  }
  for (const [key, column] of Object.entries(source.entity_columns))
    need(column, `entity key ${key}`)
  if ('column' in source.event_timestamp) need(source.event_timestamp.column, 'event timestamp')
  if (source.created_timestamp_column) need(source.created_timestamp_column, 'created timestamp')
  for (const v of repo.viewsOfSource(source.name)) {
    for (const f of v.fields) need(f.column ?? f.name, `${v.name}:${f.name}`)
  }
  return [...out].map(([column, usedBy]) => ({ column, usedBy }))
}

/**
 * Checks a CSV header before any row is read: throws AppError('VALIDATION') naming every missing
 * column (and what needs it) and every duplicated header name. Extra columns are fine.
 */
export const checkHeader = (
  repo: FeatureRepo,
  sourceName: string,
  columns: readonly string[],
): void => {
  const have = new Set(columns)
  const dupes = [...new Set(columns.filter((c, i) => columns.indexOf(c) !== i))]
  const missing = requiredColumns(repo, sourceName).filter((r) => !have.has(r.column))
  const problems = [
    ...(missing.length
      ? [`missing column(s) ${missing.map((m) => `'${m.column}' (${m.usedBy})`).join(', ')}`]
      : []),
    ...(dupes.length ? [`duplicated column(s) ${dupes.map((d) => `'${d}'`).join(', ')}`] : []),
  ]
  if (problems.length) {
    throw new AppError('VALIDATION', `source ${sourceName}: header has ${problems.join('; ')}`, {
      field: `${sourceName}.header`,
      details: { missing, duplicated: dupes },
    })
  }
}

/** Keys of an `int` entity: plain digits, optional `-`. Stored as written, so `007` ≠ `7`. */
const INT_KEY = /^-?\d+$/

interface CompiledField {
  name: string
  column: string
  parse: FieldParser
}

interface CompiledView {
  name: string
  joinKey: string
  fields: CompiledField[]
}

/**
 * Compiles the converter of one source (pure; compile once per ingest). A record yields one row
 * for every view (feature and label) fed by the source, or — if any cell is bad — no rows and
 * every error of that record, so a row is never half stored. Cells follow `compileFieldParser`.
 * Entity keys are the trimmed cell (or the row number for `$row`); an empty key, one that is a
 * source missing value, or (for an entity of type int) one that is not `-?digits` is an error.
 * Keys are kept as text either way. Event timestamps come from their column (ISO 8601, no zone = UTC) or the fixed instant;
 * a created-timestamp cell that is a missing value gives `createdTs: null`.
 */
export const makeRowConverter = (repo: FeatureRepo, sourceName: string): RowConverter => {
  const source = repo.source(sourceName)
  const missing = new Set(source.missing_values)
  const views: CompiledView[] = repo.viewsOfSource(source.name).map((v) => ({
    name: v.name,
    joinKey: repo.entity(v.entity).join_key,
    fields: v.fields.map((f) => ({
      name: f.name,
      column: f.column ?? f.name,
      parse: compileFieldParser(f, source.missing_values),
    })),
  }))
  const keyColumns = Object.entries(source.entity_columns).map(([joinKey, column]) => ({
    joinKey,
    column,
    intEntity: repo.entities.find((e) => e.join_key === joinKey && e.type === 'int')?.name,
  }))
  const eventTs = eventTimestampReader(source)
  const createdColumn = source.created_timestamp_column

  return (record, rowNumber) => {
    const errors: RowError[] = []
    const fail = (column: string, value: string | undefined, reason: string) => {
      errors.push({ row: rowNumber, column, value: value ?? '', reason })
    }
    const keys = new Map<string, string>()
    for (const { joinKey, column, intEntity } of keyColumns) {
      if (column === ROW_NUMBER_COLUMN) {
        keys.set(joinKey, String(rowNumber))
        continue
      }
      const raw = record[column]
      const key = raw?.trim() ?? ''
      if (key === '' || missing.has(key)) fail(column, raw, `missing entity key (${joinKey})`)
      else if (hasNul(key)) fail(column, raw, `entity key (${joinKey}) ${NUL_REASON}`)
      else if (intEntity !== undefined && !INT_KEY.test(key)) {
        fail(
          column,
          raw,
          `entity key (${joinKey}) is not an integer (entity ${intEntity} has type int)`,
        )
      } else keys.set(joinKey, key)
    }
    const eventAt = eventTs(record, fail)
    let createdAt: Date | null = null
    if (createdColumn) {
      const raw = record[createdColumn]
      const cell = raw?.trim() ?? ''
      if (!missing.has(cell)) {
        createdAt = parseTimestamp(cell) ?? null
        if (!createdAt) fail(createdColumn, raw, 'not an ISO 8601 date-time (created timestamp)')
      }
    }
    const rows: ConvertedRow[] = []
    for (const v of views) {
      const values: Record<string, FeatureValue> = {}
      for (const f of v.fields) {
        const raw = record[f.column]
        if (raw === undefined) {
          fail(f.column, raw, 'column absent from this record')
          continue
        }
        const value = f.parse(raw)
        if (value instanceof CellRejection)
          fail(f.column, raw, `${v.name}:${f.name}: ${value.reason}`)
        else values[f.name] = value
      }
      const entityKey = keys.get(v.joinKey)
      if (entityKey !== undefined && eventAt) {
        rows.push({
          view: v.name,
          row: { entityKey, eventTs: eventAt, createdTs: createdAt, values },
        })
      }
    }
    return errors.length ? { ok: false, errors } : { ok: true, rows }
  }
}

type Fail = (column: string, value: string | undefined, reason: string) => void

const eventTimestampReader = (
  source: Source,
): ((record: Readonly<Record<string, string | undefined>>, fail: Fail) => Date | undefined) => {
  const spec = source.event_timestamp
  if ('fixed' in spec) {
    const fixed = parseTimestamp(spec.fixed)
    if (!fixed) {
      throw new AppError(
        'VALIDATION',
        `source ${source.name}: event_timestamp.fixed: unreadable '${spec.fixed}'`,
        {
          field: `${source.name}.event_timestamp.fixed`,
        },
      )
    }
    return () => fixed
  }
  const column = spec.column
  return (record, fail) => {
    const raw = record[column]
    const at = parseTimestamp(raw?.trim() ?? '')
    if (!at) fail(column, raw, 'not an ISO 8601 date-time (event timestamp)')
    return at
  }
}
