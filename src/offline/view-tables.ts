import { AppError } from '../core/errors.js'
import type { FieldType, StoredView } from '../features/schema.js'

/**
 * How a view is laid out in the offline store (pure; no SQL is run here).
 *
 * One table per view: `fv_<view>` for feature views, `lv_<view>` for label views, with
 * `entity_key text, event_ts timestamptz, created_ts timestamptz not null` and one column per
 * field. The primary key `(entity_key, event_ts, created_ts)` makes re-ingesting a file a no-op and
 * doubles as the point-in-time index: a backward scan of it for one key yields the latest row first.
 *
 * A row without a created time stores `-infinity`, so it loses every created-time tie and the key
 * column can stay NOT NULL (a NULL would defeat the uniqueness check). Readers map it back to null.
 */

/** The stored type of each field type. Keys are compared as text, so `007` is not `7`. */
export const SQL_TYPE: Record<FieldType, SqlType> = {
  int: 'bigint',
  float: 'double precision',
  bool: 'boolean',
  categorical: 'text',
  string: 'text',
}

export type SqlType = 'bigint' | 'double precision' | 'boolean' | 'text'

/** Columns every view table has, in this order, before the field columns. */
export const KEY_COLUMNS = ['entity_key', 'event_ts', 'created_ts'] as const

/** The name of a view table's primary key constraint. */
export const primaryKeyName = (table: ViewTable): string => `${table.table}_pk`

/** What `created_ts` holds when the source has no created-time column. */
export const NO_CREATED_TS = '-infinity'

/** A field column of a view table. */
export interface FieldColumn {
  name: string
  type: FieldType
  sqlType: SqlType
}

/** A view's table: its name and field columns in definition order. */
export interface ViewTable {
  view: string
  table: string
  fields: FieldColumn[]
}

const IDENTIFIER = /^[a-z][a-z0-9_]{0,47}$/

/** Throws VALIDATION unless `name` is a safe SQL identifier (the feature schema's pattern). */
export const assertIdentifier = (name: string, what: string): string => {
  if (!IDENTIFIER.test(name)) {
    throw new AppError('VALIDATION', `${what} '${name}' is not a valid name (a-z, 0-9, _)`, {
      field: what,
    })
  }
  return name
}

/** The table layout of a view; rejects field names that clash with the key columns. */
export const viewTable = (view: StoredView): ViewTable => {
  assertIdentifier(view.name, 'view name')
  const fields = view.fields.map((f): FieldColumn => {
    assertIdentifier(f.name, `view ${view.name}: field name`)
    if ((KEY_COLUMNS as readonly string[]).includes(f.name)) {
      throw new AppError(
        'VALIDATION',
        `view ${view.name}: field '${f.name}' clashes with a key column of the offline store (${KEY_COLUMNS.join(', ')})`,
        { field: `${view.name}.${f.name}` },
      )
    }
    return { name: f.name, type: f.type, sqlType: SQL_TYPE[f.type] }
  })
  const prefix = view.kind === 'label' ? 'lv_' : 'fv_'
  return { view: view.name, table: `${prefix}${view.name}`, fields }
}

/** The field columns of a view table named in `names`, in that order; unknown names throw. */
export const pickFields = (table: ViewTable, names: readonly string[]): FieldColumn[] =>
  names.map((n) => {
    const found = table.fields.find((f) => f.name === n)
    if (!found) {
      const has = table.fields.map((f) => f.name).join(', ')
      throw new AppError('VALIDATION', `view ${table.view} has no field '${n}' (it has: ${has})`, {
        field: `${table.view}:${n}`,
      })
    }
    return found
  })
