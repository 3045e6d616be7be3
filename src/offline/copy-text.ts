import { AppError } from '../core/errors.js'
import { lastInstantText } from '../core/instant-text.js'
import { own } from '../core/own.js'
import type { FeatureRow, FeatureValue } from './offline-store.js'
import { type FieldColumn, NO_CREATED_TS, type SqlType, type ViewTable } from './view-tables.js'

/**
 * Encoding of typed rows for Postgres and PGlite (pure): COPY text format lines. Each value's JS
 * type is checked against its column, so a caller bug surfaces as an error naming view, field and
 * key instead of a cast failure deep in SQL.
 * COPY text format: https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.2
 */

const JS_TYPE: Record<SqlType, 'number' | 'boolean' | 'string'> = {
  bigint: 'number',
  'double precision': 'number',
  boolean: 'boolean',
  text: 'string',
}

const checkValue = (table: ViewTable, field: FieldColumn, row: FeatureRow): FeatureValue => {
  const v = own(row.values, field.name) ?? null
  if (v === null || typeof v === JS_TYPE[field.sqlType]) {
    if (field.sqlType === 'bigint' && !Number.isSafeInteger(v) && v !== null) {
      throw badValue(table, field, row, v)
    }
    // NaN and ±Infinity are no measurement; the CSV parsers refuse them too.
    if (field.sqlType === 'double precision' && !Number.isFinite(v) && v !== null) {
      throw badValue(table, field, row, v)
    }
    return v
  }
  throw badValue(table, field, row, v)
}

const badValue = (table: ViewTable, field: FieldColumn, row: FeatureRow, v: unknown): AppError =>
  new AppError(
    'VALIDATION',
    `view ${table.view}: field ${field.name} of entity '${row.entityKey}' holds ${typeof v === 'number' ? String(v) : JSON.stringify(v)}, not a ${field.type}`,
    { field: `${table.view}.${field.name}` },
  )

/** Rows of one record (one per view) and whole files often share a time: formatted once. */
const iso = lastInstantText()

const checkDate = (table: ViewTable, row: FeatureRow, d: Date, what: string): string => {
  if (Number.isNaN(d.getTime())) {
    throw new AppError(
      'VALIDATION',
      `view ${table.view}: entity '${row.entityKey}' has an invalid ${what}`,
      {
        field: `${table.view}.${what}`,
      },
    )
  }
  return iso(d)
}

// Backslash, tab, newline and carriage return are the only bytes COPY text gives meaning to.
const SPECIAL = /[\\\t\n\r]/
const escapeText = (s: string): string =>
  SPECIAL.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c) : s
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** One value as COPY text: `\\N` for null, `t`/`f`, numbers as JS writes them, escaped text. */
export const copyText = (v: FeatureValue): string => {
  if (v === null) return '\\N'
  if (typeof v === 'string') return escapeText(v)
  if (typeof v === 'boolean') return v ? 't' : 'f'
  return String(v)
}

/** One COPY text line (with newline): entity_key, event_ts, created_ts, then the fields in order. */
export const copyLine = (table: ViewTable, row: FeatureRow): string => {
  let line = `${escapeText(row.entityKey)}\t${checkDate(table, row, row.eventTs, 'event_ts')}\t`
  line += row.createdTs ? checkDate(table, row, row.createdTs, 'created_ts') : NO_CREATED_TS
  for (const f of table.fields) line += `\t${copyText(checkValue(table, f, row))}`
  return `${line}\n`
}
