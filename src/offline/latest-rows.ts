import { sql } from 'kysely'
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
 */
export async function* latestRowsPages(
  db: Db,
  view: StoredView,
  start: Date | undefined,
  end: Date,
  pageSize = LATEST_ROWS_PAGE,
): AsyncIterable<FeatureRow[]> {
  const table = viewTable(view)
  const fields = table.fields.map((f) => sql`${readField('t', f)} as ${sql.id(f.name)}`)
  let after: string | undefined
  for (;;) {
    const { rows } = await sql<Record<string, unknown>>`
      select distinct on (t.entity_key) t.entity_key, t.event_ts,
        nullif(t.created_ts, '-infinity') as created_ts, ${sql.join(fields)}
      from ${sql.id(table.table)} as t
      where t.event_ts <= ${end}
        ${start ? sql`and t.event_ts > ${start}` : sql``}
        ${after !== undefined ? sql`and t.entity_key < ${after}` : sql``}
      order by t.entity_key desc, t.event_ts desc, t.created_ts desc
      limit ${pageSize}`.execute(db.kysely)
    if (rows.length === 0) return
    const page = rows.map((r): FeatureRow => {
      const values: Record<string, FeatureValue> = {}
      for (const f of table.fields) values[f.name] = (r[f.name] ?? null) as FeatureValue
      return {
        entityKey: r.entity_key as string,
        eventTs: r.event_ts as Date,
        createdTs: (r.created_ts as Date | null) ?? null,
        values,
      }
    })
    yield page
    if (rows.length < pageSize) return
    after = page[page.length - 1]?.entityKey
  }
}
