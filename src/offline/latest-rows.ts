import { type RawBuilder, sql } from 'kysely'
import { AppError } from '../core/errors.js'
import type { Db } from '../db/connect.js'
import type { StoredView } from '../features/schema.js'
import { readColumnTypes, retypedField } from './ensure-tables.js'
import { fieldsJsonColumn, unrepresentableFieldColumn } from './fields-json-sql.js'
import type { FeatureRow, FeatureValue, FieldsJsonRow } from './offline-store.js'
import { readField } from './pit-query.js'
import { type FieldColumn, type ViewTable, viewTable } from './view-tables.js'

/**
 * Entities per page: bounds memory on both sides while keeping round trips few. Up to three pages
 * are alive at once (one read, two being written), and at 10,000 rows they outlived V8's young
 * generation: `ward materialize` into Redis spent twice the time in scavenges (10-field rows:
 * ~0.5 → ~0.25 s per 200,000 rows). 2,500 ran as fast or faster in every A/B pair measured
 * (Postgres → Redis, 10 and 45 fields; PGlite → memory store, 45 fields).
 */
export const LATEST_ROWS_PAGE = 2_500

/** Postgres functions take at most 100 arguments: 50 name/value pairs per json_build_object. */
const PAIRS_PER_OBJECT = 50

/**
 * The latest row per entity among rows with `start < event_ts ≤ end` (ties: later created_ts),
 * in pages of `pageSize` entities. Keyset pagination on entity_key, descending: DISTINCT ON over a
 * backward scan of the primary key yields each entity's latest row first, and each page starts
 * where the previous one stopped, so no page re-reads earlier entities and no cursor or
 * transaction is held between pages.
 *
 * Rows come back as arrays (`rowMode: 'array'`): key, event and created times as epoch
 * milliseconds (numbers, not timestamptz text: whole milliseconds rounded down, as the driver's
 * own timestamp parsing gives them), then the fields, in the form that costs least where the
 * server runs (measured with `ward materialize` of diabetic_data.csv's 45-field view):
 * - Postgres, a process of its own: plain cells, and each values object a copy of one template
 *   with the view's fields, filled in place. Building one `json_build_object` per row cost the
 *   server ~10 µs a row, and made it the bound: cells were ~20% faster end to end.
 * - PGlite, on this thread: the fields as one JSON object per row, turned into the values object
 *   by one `JSON.parse`. PGlite's driver reads each cell in JS, so 48 cells took ~55% longer.
 */
export const latestRowsPages = (
  db: Db,
  view: StoredView,
  start: Date | undefined,
  end: Date,
  pageSize = LATEST_ROWS_PAGE,
): AsyncIterable<FeatureRow[]> => {
  const table = viewTable(view)
  const read = db.kind === 'postgres' ? fieldCells(table.fields) : fieldObjects(table.fields)
  const columns = [
    epochMs(sql`t.event_ts`),
    epochMs(sql`nullif(t.created_ts, '-infinity')`),
    ...read.columns,
  ]
  return latestPages(db, table, start, end, pageSize, columns, (r) => ({
    entityKey: r[0] as string,
    eventTs: new Date(r[1] as number),
    createdTs: r[2] === null ? null : new Date(r[2] as number),
    values: read.values(r),
  }))
}

/**
 * The same rows and pages as `latestRowsPages`, with the fields as JSON members the database
 * writes (`fields-json-sql.ts`): Node then handles two cells a row instead of one per field.
 * Materializing 200,000 10-field rows from Postgres into Redis (5 alternating pairs of fresh
 * processes) took about half the Node CPU and ran ~20% faster in a process's first run, ~45% in
 * its second; the server's CPU rose 20–40%. A row holding a value JSON cannot carry fails the
 * page with VALIDATION.
 */
export async function* latestFieldsJsonPages(
  db: Db,
  view: StoredView,
  start: Date | undefined,
  end: Date,
  pageSize = LATEST_ROWS_PAGE,
): AsyncIterable<FieldsJsonRow[]> {
  const table = viewTable(view)
  // The JSON is written by the field types, not by what the cells hold: a column retyped by hand
  // (an int field's column made a float) would otherwise put 1.5 in an int field.
  const retyped = retypedField(table, await readColumnTypes(db.kysely, table))
  if (retyped) throw retyped
  const columns = [
    epochMs(sql`t.event_ts`),
    fieldsJsonColumn('t', table.fields),
    unrepresentableFieldColumn('t', table.fields),
  ]
  yield* latestPages(db, table, start, end, pageSize, columns, (r) => {
    const entityKey = r[0] as string
    if (r[3] !== null) throw unrepresentable(table, r[3] as string, entityKey)
    return { entityKey, eventTs: new Date(r[1] as number), fieldsJson: r[2] as string }
  })
}

const unrepresentable = (table: ViewTable, field: string, entityKey: string): AppError => {
  const type = table.fields.find((f) => f.name === field)?.type
  return new AppError(
    'VALIDATION',
    `${table.view}:${field} of entity '${entityKey}' holds a value JSON cannot carry exactly (${type === 'int' ? 'an int beyond ±(2^53 − 1)' : 'a float that is NaN or infinite'}); the row was stored around Ward's validation`,
    { field: `${table.view}:${field}` },
  )
}

/** Pages of the latest rows, each row read from its cells: the entity key, then `columns`. */
async function* latestPages<T>(
  db: Db,
  table: ViewTable,
  start: Date | undefined,
  end: Date,
  pageSize: number,
  columns: readonly RawBuilder<unknown>[],
  toRow: (cells: readonly unknown[]) => T,
): AsyncIterable<T[]> {
  let after: string | undefined
  for (;;) {
    const query = sql`
      select distinct on (t.entity_key) t.entity_key, ${sql.join(columns)}
      from ${sql.id(table.table)} as t
      where t.event_ts <= ${end}
        ${start ? sql`and t.event_ts > ${start}` : sql``}
        ${after !== undefined ? sql`and t.entity_key < ${after}` : sql``}
      order by t.entity_key desc, t.event_ts desc, t.created_ts desc
      limit ${pageSize}`.compile(db.kysely)
    const rows = await queryArrays(db, query.sql, query.parameters)
    if (rows.length > 0) yield rows.map(toRow)
    if (rows.length < pageSize) return
    after = rows[rows.length - 1]?.[0] as string
  }
}

/** Rows as arrays of cells, in select order: both drivers parse numbers and booleans. */
const queryArrays = async (
  db: Db,
  text: string,
  parameters: readonly unknown[],
): Promise<unknown[][]> => {
  if (db.kind === 'pglite') {
    return (await db.pglite.query<unknown[]>(text, [...parameters], { rowMode: 'array' })).rows
  }
  return (await db.pool.query<unknown[]>({ text, values: [...parameters], rowMode: 'array' })).rows
}

/** How a view's fields are selected (after key and times), and how a row's values are read. */
interface FieldRead {
  columns: RawBuilder<unknown>[]
  /** The values object from a whole row of cells (key, event ms, created ms, then the fields). */
  values: (row: readonly unknown[]) => Record<string, FeatureValue>
}

/** One cell per field, into copies of a template object. */
const fieldCells = (fields: readonly FieldColumn[]): FieldRead => {
  const names = fields.map((f) => f.name)
  // Own properties from the start (also one named like an Object member, e.g. `constructor`):
  // a copy shares the template's shape, and filling it adds no property.
  const template: Record<string, FeatureValue> = Object.fromEntries(names.map((n) => [n, null]))
  return {
    columns: fields.map((f) => readField('t', f)),
    values: (row) => {
      const values = { ...template }
      for (let i = 0; i < names.length; i++) {
        values[names[i] as string] = (row[i + 3] ?? null) as FeatureValue
      }
      return values
    },
  }
}

/** One `json_build_object` per 50 fields (one for most views; none without fields). */
const fieldObjects = (fields: readonly FieldColumn[]): FieldRead => {
  const columns: RawBuilder<unknown>[] = []
  for (let i = 0; i < fields.length; i += PAIRS_PER_OBJECT) {
    const pairs = fields
      .slice(i, i + PAIRS_PER_OBJECT)
      .map((f) => sql`${sql.lit(f.name)}, ${readField('t', f)}`)
    columns.push(sql`json_build_object(${sql.join(pairs)})`)
  }
  return {
    columns,
    values: (row) =>
      (columns.length === 1 ? row[3] : Object.assign({}, ...row.slice(3))) as Record<
        string,
        FeatureValue
      >,
  }
}

/**
 * An instant as whole milliseconds since 1970 (double precision), rounded down as the driver
 * rounds timestamptz text (an instant with microseconds before 1970 keeps the same millisecond):
 * `date_trunc` gives the start of its millisecond, `date_part` that instant's epoch seconds as a
 * double, whose error times 1000 stays far below half a millisecond in years 0–9999, so `round`
 * gives the exact count (checked against exact numeric arithmetic on 2,000,000 random instants
 * with microseconds). `extract(epoch …)`, exact, returns numeric since Postgres 14, and its
 * arithmetic cost the server ~1 µs a value: a third of a 10-field page query.
 */
const epochMs = (instant: RawBuilder<unknown>): RawBuilder<unknown> =>
  sql`round(date_part('epoch', date_trunc('milliseconds', ${instant})) * 1000)`
