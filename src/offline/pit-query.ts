import { type RawBuilder, sql } from 'kysely'
import type { FieldColumn, ViewTable } from './view-tables.js'

/** One view of a point-in-time query: its table, the fields asked for, its TTL in seconds. */
export interface PitView {
  table: ViewTable
  fields: FieldColumn[]
  ttlSeconds: number
}

/** The temp table `historical` loads entity rows into (ord keeps input order and duplicates). */
export const ENTITY_TABLE = 'pit_entity_rows'

/** Output column of the i-th view's j-th field: positional, so feature names never become SQL. */
export const pitColumn = (viewIndex: number, fieldIndex: number): string =>
  `v${viewIndex}_f${fieldIndex}`

/** A field read back as its JS type: bigint → double precision, since FeatureValue is a number. */
export const readField = (table: string, f: FieldColumn): RawBuilder<unknown> =>
  f.sqlType === 'bigint'
    ? sql`${sql.ref(`${table}.${f.name}`)}::double precision`
    : sql`${sql.ref(`${table}.${f.name}`)}`

/**
 * The point-in-time join, Feast semantics: per entity row and view, the row with the latest
 * event_ts ≤ the entity row's time (and ≥ that time − TTL when TTL > 0), ties broken by the later
 * created_ts. One LATERAL … LIMIT 1 per view walks the primary key backwards from (key, time), so
 * the cost is one index probe per entity row and view, and no history leaves the database.
 */
export const pointInTimeQuery = (
  views: readonly PitView[],
): RawBuilder<Record<string, unknown>> => {
  const selects = views.flatMap((v, i) =>
    v.fields.map((_, j) => sql`${sql.ref(`v${i}.${pitColumn(i, j)}`)}`),
  )
  const joins = views.map((v, i) => {
    const ttl =
      v.ttlSeconds > 0
        ? sql`and t.event_ts >= e.event_ts - make_interval(secs => ${v.ttlSeconds})`
        : sql``
    const cols = v.fields.map((f, j) => sql`${readField('t', f)} as ${sql.id(pitColumn(i, j))}`)
    return sql`left join lateral (
      select ${sql.join(cols)} from ${sql.id(v.table.table)} as t
      where t.entity_key = e.entity_key and t.event_ts <= e.event_ts ${ttl}
      order by t.event_ts desc, t.created_ts desc
      limit 1
    ) as ${sql.id(`v${i}`)} on true`
  })
  return sql<
    Record<string, unknown>
  >`select e.ord${selects.length ? sql`, ${sql.join(selects)}` : sql``}
    from ${sql.id(ENTITY_TABLE)} as e ${sql.join(joins, sql` `)}
    order by e.ord`
}
