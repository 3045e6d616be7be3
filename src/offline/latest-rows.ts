import { type RawBuilder, sql } from 'kysely'
import type { Db } from '../db/connect.js'
import type { StoredView } from '../features/schema.js'
import type { FeatureRow, FeatureValue } from './offline-store.js'
import { readField } from './pit-query.js'
import { viewTable } from './view-tables.js'

/** Entities per page: bounds memory on both sides while keeping round trips few. */
export const LATEST_ROWS_PAGE = 10_000

/**
 * The latest row per entity among rows with `start < event_ts ≤ end` (ties: later created_ts),
 * in pages of `pageSize` entities. Keyset pagination on entity_key, descending: DISTINCT ON over a
 * backward scan of the primary key yields each entity's latest row first, and each page starts
 * where the previous one stopped, so no page re-reads earlier entities and no cursor or
 * transaction is held between pages.
 *
 * A row travels as plain cells, read by the driver as arrays (`rowMode: 'array'`), and each
 * values object is a copy of one template object with the view's fields, filled in place. Both
 * other ways cost more, measured on `ward materialize` of diabetic_data.csv's 45-field view:
 * rows as named objects made the driver add 48 properties per row one by one, and one
 * `json_build_object` per row cost Postgres ~10 µs a row to build (plus a `JSON.parse`), 3× the
 * plain cells. Times travel as epoch milliseconds, parsed as numbers rather than timestamptz
 * text: whole milliseconds rounded down, as the driver's own timestamp parsing gives them.
 */
export async function* latestRowsPages(
  db: Db,
  view: StoredView,
  start: Date | undefined,
  end: Date,
  pageSize = LATEST_ROWS_PAGE,
): AsyncIterable<FeatureRow[]> {
  const table = viewTable(view)
  const names = table.fields.map((f) => f.name)
  const cells = table.fields.map((f) => sql`, ${readField('t', f)}`)
  // Own properties from the start (also one named like an Object member, e.g. `constructor`):
  // a copy shares the template's shape, and filling it adds no property.
  const template: Record<string, FeatureValue> = Object.fromEntries(names.map((n) => [n, null]))
  let after: string | undefined
  for (;;) {
    const query = sql`
      select distinct on (t.entity_key) t.entity_key, ${epochMs(sql`t.event_ts`)} as event_ms,
        ${epochMs(sql`nullif(t.created_ts, '-infinity')`)} as created_ms
        ${sql.join(cells, sql``)}
      from ${sql.id(table.table)} as t
      where t.event_ts <= ${end}
        ${start ? sql`and t.event_ts > ${start}` : sql``}
        ${after !== undefined ? sql`and t.entity_key < ${after}` : sql``}
      order by t.entity_key desc, t.event_ts desc, t.created_ts desc
      limit ${pageSize}`.compile(db.kysely)
    const rows = await queryArrays(db, query.sql, query.parameters)
    if (rows.length > 0) yield rows.map((r) => featureRow(r, names, template))
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

/** Cells: entity_key, event_ms, created_ms, then the fields in view order. */
const featureRow = (
  r: readonly unknown[],
  names: readonly string[],
  template: Record<string, FeatureValue>,
): FeatureRow => {
  const values = { ...template }
  for (let i = 0; i < names.length; i++) {
    values[names[i] as string] = (r[i + 3] ?? null) as FeatureValue
  }
  return {
    entityKey: r[0] as string,
    eventTs: new Date(r[1] as number),
    createdTs: r[2] === null ? null : new Date(r[2] as number),
    values,
  }
}

/**
 * An instant as whole milliseconds since 1970 (double precision). Rounded down, as the driver
 * rounds timestamptz text: an instant with microseconds before 1970 keeps the same millisecond.
 */
const epochMs = (instant: RawBuilder<unknown>): RawBuilder<unknown> =>
  sql`floor(extract(epoch from ${instant}) * 1000)::double precision`
