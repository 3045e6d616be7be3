import { type RawBuilder, sql } from 'kysely'
import type { Db } from '../db/connect.js'
import type { StoredView } from '../features/schema.js'
import type { FeatureRow, FeatureValue } from './offline-store.js'
import { readField } from './pit-query.js'
import { type FieldColumn, viewTable } from './view-tables.js'

/** Entities per page: bounds memory on both sides while keeping round trips few. */
export const LATEST_ROWS_PAGE = 10_000

/** Postgres functions take at most 100 arguments: 50 name/value pairs per json_build_object. */
const PAIRS_PER_OBJECT = 50

/**
 * The latest row per entity among rows with `start < event_ts ≤ end` (ties: later created_ts),
 * in pages of `pageSize` entities. Keyset pagination on entity_key, descending: DISTINCT ON over a
 * backward scan of the primary key yields each entity's latest row first, and each page starts
 * where the previous one stopped, so no page re-reads earlier entities and no cursor or
 * transaction is held between pages.
 *
 * A row travels as few cells as possible: its fields as one JSON object, which the driver turns
 * into the values object with one `JSON.parse`, and its times as epoch milliseconds, parsed as
 * numbers rather than timestamptz text. Measured on `ward materialize` of diabetic_data.csv's
 * 45-field view: ~40% less Node CPU per row than one cell per column (which the driver turned
 * into 48 strings, parsed one by one, then copied into a new object). Values are unchanged:
 * JSON numbers are Postgres's shortest exact text of the double, and times are whole
 * milliseconds rounded down, as the driver's own timestamp parsing gives them.
 */
export async function* latestRowsPages(
  db: Db,
  view: StoredView,
  start: Date | undefined,
  end: Date,
  pageSize = LATEST_ROWS_PAGE,
): AsyncIterable<FeatureRow[]> {
  const table = viewTable(view)
  const objects = valueObjects(table.fields)
  let after: string | undefined
  for (;;) {
    const { rows } = await sql<Record<string, unknown>>`
      select distinct on (t.entity_key) t.entity_key, ${epochMs(sql`t.event_ts`)} as event_ms,
        ${epochMs(sql`nullif(t.created_ts, '-infinity')`)} as created_ms
        ${sql.join(
          objects.map((o, i) => sql`, ${o} as ${sql.id(`v${i}`)}`),
          sql``,
        )}
      from ${sql.id(table.table)} as t
      where t.event_ts <= ${end}
        ${start ? sql`and t.event_ts > ${start}` : sql``}
        ${after !== undefined ? sql`and t.entity_key < ${after}` : sql``}
      order by t.entity_key desc, t.event_ts desc, t.created_ts desc
      limit ${pageSize}`.execute(db.kysely)
    if (rows.length > 0) yield rows.map((r) => featureRow(r, objects.length))
    if (rows.length < pageSize) return
    after = rows[rows.length - 1]?.entity_key as string
  }
}

/** `json_build_object` per 50 fields (one for most views); no fields: none. */
const valueObjects = (fields: readonly FieldColumn[]): RawBuilder<unknown>[] => {
  const objects: RawBuilder<unknown>[] = []
  for (let i = 0; i < fields.length; i += PAIRS_PER_OBJECT) {
    const pairs = fields
      .slice(i, i + PAIRS_PER_OBJECT)
      .map((f) => sql`${sql.lit(f.name)}, ${readField('t', f)}`)
    objects.push(sql`json_build_object(${sql.join(pairs)})`)
  }
  return objects
}

const featureRow = (r: Record<string, unknown>, objects: number): FeatureRow => ({
  entityKey: r.entity_key as string,
  eventTs: new Date(r.event_ms as number),
  createdTs: r.created_ms === null ? null : new Date(r.created_ms as number),
  values: (objects === 1
    ? r.v0
    : Object.assign({}, ...Array.from({ length: objects }, (_, i) => r[`v${i}`]))) as Record<
    string,
    FeatureValue
  >,
})

/**
 * An instant as whole milliseconds since 1970 (double precision). Rounded down, as the driver
 * rounds timestamptz text: an instant with microseconds before 1970 keeps the same millisecond.
 */
const epochMs = (instant: RawBuilder<unknown>): RawBuilder<unknown> =>
  sql`floor(extract(epoch from ${instant}) * 1000)::double precision`
