import { lastInstantText } from '../core/instant-text.js'
import { ROW_NUMBER_COLUMN } from '../features/cross-check.js'
import {
  CellRejection,
  compileFieldParser,
  type FieldParser,
  hasNul,
} from '../features/field-parser.js'
import type { FeatureRepo } from '../features/repo.js'
import { parseTimestamp } from '../features/timestamp.js'
import { copyText } from './copy-text.js'
import { NO_CREATED_TS } from './view-tables.js'

/**
 * The Postgres ingest's fast path (pure): one CSV record (cells in header order) straight to one
 * COPY text line per view, with no per-row objects in between. It accepts exactly the records
 * `makeRowConverter` accepts and encodes exactly what `copyLine` would encode for its rows; for
 * any record it cannot accept it returns `undefined`, and the caller asks `makeRowConverter` for
 * the errors, so every error message has one source.
 */
/** One COPY text line (with newline) per view, in `views` order; undefined: no row. */
export type EncodedRecord = readonly (string | undefined)[]

export type RecordEncoder = (
  cells: readonly string[],
  rowNumber: number,
) => EncodedRecord | undefined

/**
 * One field of a view: where its cell is, how to read it, and the COPY text of every distinct raw
 * cell seen so far (most columns hold a few values, so most cells cost one map lookup). Same
 * result as `parse` then `copyText`, by construction.
 */
interface EncodedField {
  cell: number
  parse: FieldParser
  /** Raw cell → its COPY text, or null when the field rejects the cell. */
  memo: Map<string, string | null>
}

/** Distinct cells remembered per field; categories and small counts repeat, ids do not. */
const MEMO_LIMIT = 4096

/**
 * The COPY text of `raw` in field `f`, or null when the field rejects it. One function for every
 * field (not a closure each) keeps the call site monomorphic: ~15% less time in a warm encode
 * loop over diabetic_data.csv (within noise for a whole ingest).
 */
const textOf = (f: EncodedField, raw: string): string | null => {
  const known = f.memo.get(raw)
  if (known !== undefined) return known
  const value = f.parse(raw)
  const text = value instanceof CellRejection ? null : copyText(value)
  if (f.memo.size < MEMO_LIMIT) f.memo.set(raw, text)
  return text
}

/** Compiles the encoder of `sourceName` for a file with `header` (checked by `checkHeader`). */
export const makeRecordEncoder = (
  repo: FeatureRepo,
  sourceName: string,
  header: readonly string[],
): RecordEncoder => {
  const source = repo.source(sourceName)
  const missing = new Set(source.missing_values)
  const at = (column: string): number => header.indexOf(column)
  const keyColumns = Object.entries(source.entity_columns).map(([joinKey, column]) => ({
    joinKey,
    cell: column === ROW_NUMBER_COLUMN ? -1 : at(column),
    int: repo.entities.some((e) => e.join_key === joinKey && e.type === 'int'),
  }))
  const views = repo.viewsOfSource(source.name).map((v) => ({
    keyIndex: keyColumns.findIndex((k) => k.joinKey === repo.entity(v.entity).join_key),
    /**
     * One line's cells (key, event time, created time, fields), reused for every record and
     * joined once: adding 45 cells to a line one by one made ~90 intermediate strings per line,
     * and parse + encode of diabetic_data.csv ran 10–20% slower (cold processes, side by side).
     */
    parts: new Array<string>(3 + v.fields.length).fill(''),
    fields: v.fields.map(
      (f): EncodedField => ({
        cell: at(f.column ?? f.name),
        parse: compileFieldParser(f, source.missing_values),
        memo: new Map(),
      }),
    ),
  }))
  const spec = source.event_timestamp
  const fixedEvent = 'fixed' in spec ? parseTimestamp(spec.fixed) : undefined
  const eventCell = 'column' in spec ? at(spec.column) : -1
  const createdCell = source.created_timestamp_column ? at(source.created_timestamp_column) : -1
  const iso = lastInstantText()

  return (cells, rowNumber) => {
    const keys: string[] = []
    for (const k of keyColumns) {
      const key = k.cell < 0 ? String(rowNumber) : (cells[k.cell] ?? '').trim()
      if (key === '' || missing.has(key) || (k.int && !INT_KEY.test(key)) || hasNul(key))
        return undefined
      keys.push(key)
    }
    const event = eventCell < 0 ? fixedEvent : parseTimestamp((cells[eventCell] ?? '').trim())
    if (!event) return undefined
    let created = NO_CREATED_TS
    if (createdCell >= 0) {
      const cell = (cells[createdCell] ?? '').trim()
      if (!missing.has(cell)) {
        const d = parseTimestamp(cell)
        if (!d) return undefined
        created = iso(d)
      }
    }
    const stamp = iso(event)
    const lines: (string | undefined)[] = []
    for (const v of views) {
      const key = keys[v.keyIndex]
      const parts = v.parts
      parts[0] = key === undefined ? '' : copyText(key)
      parts[1] = stamp
      parts[2] = created
      for (let i = 0; i < v.fields.length; i++) {
        const f = v.fields[i] as EncodedField
        const text = textOf(f, cells[f.cell] ?? '')
        if (text === null) return undefined
        parts[i + 3] = text
      }
      lines.push(key === undefined ? undefined : `${parts.join('\t')}\n`)
    }
    return lines
  }
}

/** Same rule as `makeRowConverter`: keys of an `int` entity are plain digits, optional `-`. */
const INT_KEY = /^-?\d+$/
