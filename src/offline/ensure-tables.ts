import { type QueryExecutorProvider, sql } from 'kysely'
import { AppError } from '../core/errors.js'
import type { Db } from '../db/connect.js'
import type { StoredView } from '../features/schema.js'
import { KEY_COLUMNS, primaryKeyName, type ViewTable, viewTable } from './view-tables.js'

/** How information_schema names our column types. */
const INFO_TYPE: Record<string, string> = {
  bigint: 'bigint',
  'double precision': 'double precision',
  boolean: 'boolean',
  text: 'text',
  timestamptz: 'timestamp with time zone',
}

/**
 * Creates each view's table, or adds the columns of new fields to an existing one (additive only:
 * nothing is dropped or retyped, so stored history stays readable). A column whose stored type
 * differs from its field's type is a CONFLICT naming view, field and both types; everything is
 * checked before anything is changed, in one transaction.
 */
export const ensureViewTables = async (db: Db, views: readonly StoredView[]): Promise<void> => {
  const tables = views.map(viewTable)
  await db.kysely.transaction().execute(async (tx) => {
    const alters: { table: ViewTable; column: string; type: string }[] = []
    for (const table of tables) {
      const types = await readColumnTypes(tx, table)
      if (types.size === 0) {
        let create = tx.schema
          .createTable(table.table)
          .addColumn('entity_key', sql`text collate "C"`, (c) => c.notNull())
          .addColumn('event_ts', 'timestamptz', (c) => c.notNull())
          .addColumn('created_ts', 'timestamptz', (c) => c.notNull())
        for (const f of table.fields) create = create.addColumn(f.name, f.sqlType)
        // The key is also the point-in-time index (scanned backwards per entity). Keys are only
        // compared for equality, so byte order ("C") is enough and much cheaper than a locale's.
        await create.addPrimaryKeyConstraint(primaryKeyName(table), [...KEY_COLUMNS]).execute()
        continue
      }
      const conflict = retypedField(table, types)
      if (conflict) throw conflict
      for (const f of table.fields) {
        if (!types.has(f.name)) alters.push({ table, column: f.name, type: f.sqlType })
      }
    }
    for (const a of alters) {
      await tx.schema.alterTable(a.table.table).addColumn(a.column, sql.raw(a.type)).execute()
    }
  })
}

/** A view table's columns and their types as information_schema names them (empty: no table). */
export const readColumnTypes = async (
  executor: QueryExecutorProvider,
  table: ViewTable,
): Promise<Map<string, string>> => {
  const { rows } = await sql<{ column_name: string; data_type: string }>`
    select column_name, data_type from information_schema.columns
    where table_schema = current_schema() and table_name = ${table.table}`.execute(executor)
  return new Map(rows.map((r) => [r.column_name, r.data_type]))
}

/**
 * CONFLICT naming view, field and both types for the first field whose column has another type
 * than the field's, or undefined (a missing column is not a conflict: `ensureViewTables` adds it).
 */
export const retypedField = (
  table: ViewTable,
  types: ReadonlyMap<string, string>,
): AppError | undefined => {
  for (const f of table.fields) {
    const has = types.get(f.name)
    if (has !== undefined && has !== INFO_TYPE[f.sqlType]) {
      return new AppError(
        'CONFLICT',
        `view ${table.view}: field ${f.name} is stored as ${has} in ${table.table}, but is now a ${f.type} (${f.sqlType}); change the field's name or type back`,
        { field: `${table.view}.${f.name}` },
      )
    }
  }
  return undefined
}
