import { type RawBuilder, sql } from 'kysely'
import type { FieldColumn } from './view-tables.js'

/**
 * SQL that writes a view row's fields as JSON members (`FieldsJsonRow.fieldsJson`), so the
 * database, not Node, turns the values into the online row's text (pure: builds SQL, runs none).
 * Each field is `,"name":value`, or NULL when the value is null, which `concat` skips. Values print
 * as the JavaScript encoder's do once parsed: ints and finite floats as Postgres prints them (the
 * shortest text that reads back as the same double: `extra_float_digits` ≥ 1, which the driver
 * connection sets), -0 as 0 (as `String(-0)` gives), booleans as true/false, text through
 * `to_json` (quotes, backslashes and control characters escaped as JSON.stringify escapes them).
 */
export const fieldsJsonColumn = (
  alias: string,
  fields: readonly FieldColumn[],
): RawBuilder<unknown> => {
  if (fields.length === 0) return sql`''`
  const members = fields.map((f) => member(sql.ref(`${alias}.${f.name}`), f))
  const groups: RawBuilder<unknown>[] = []
  for (let i = 0; i < members.length; i += ARGS_PER_CALL) {
    groups.push(sql`concat(${sql.join(members.slice(i, i + ARGS_PER_CALL))})`)
  }
  return groups.length === 1 ? (groups[0] as RawBuilder<unknown>) : sql`concat(${sql.join(groups)})`
}

/**
 * The name of the row's first field whose value JSON cannot carry exactly, or NULL: a float that
 * is not finite (Postgres stores NaN and ±Infinity), an int beyond ±(2^53 − 1), which the
 * JavaScript encoder refuses too. Ward's own writes never store such values; a row written to the
 * table by other means could.
 */
export const unrepresentableFieldColumn = (
  alias: string,
  fields: readonly FieldColumn[],
): RawBuilder<unknown> => {
  const checks = fields.flatMap((f) => {
    const ref = sql.ref(`${alias}.${f.name}`)
    if (f.sqlType === 'bigint') {
      return [
        sql`when ${ref} not between ${sql.lit(-MAX_SAFE_INTEGER)} and ${sql.lit(MAX_SAFE_INTEGER)} then ${sql.lit(f.name)}`,
      ]
    }
    if (f.sqlType === 'double precision') {
      return [
        sql`when ${ref} in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) then ${sql.lit(f.name)}`,
      ]
    }
    return []
  })
  return checks.length === 0 ? sql`null::text` : sql`case ${sql.join(checks, sql` `)} end`
}

/** Postgres functions take at most 100 arguments. */
const ARGS_PER_CALL = 100

const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER

const member = (ref: RawBuilder<unknown>, f: FieldColumn): RawBuilder<unknown> => {
  // Field names are SQL identifiers (a-z, 0-9, _), so their JSON is the name in quotes.
  const key = `,${JSON.stringify(f.name)}:`
  switch (f.sqlType) {
    case 'bigint':
      return sql`${sql.lit(key)} || ${ref}::text`
    case 'double precision':
      return sql`${sql.lit(key)} || case when ${ref} = 0 then '0' else ${ref}::text end`
    case 'boolean':
      return sql`case when ${ref} then ${sql.lit(`${key}true`)} when not ${ref} then ${sql.lit(`${key}false`)} end`
    case 'text':
      return sql`${sql.lit(key)} || to_json(${ref})::text`
  }
}
