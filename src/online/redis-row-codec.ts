import { AppError } from '../core/errors.js'
import { lastInstantText } from '../core/instant-text.js'
import { own } from '../core/own.js'
import type { FieldType } from '../features/schema.js'
import type { FeatureRow, FeatureValue, FieldsJsonRow } from '../offline/offline-store.js'
import type { OnlineEntityResult, OnlineView } from './online-store.js'
import {
  badEventTs,
  decodeValue,
  EVENT_TS_FIELD,
  encodeValue,
  isStale,
  isStorableEventTs,
} from './value-codec.js'

/**
 * One Redis row is one JSON object, `{"_ts":"2024-03-01T12:00:00.000Z","hr":72,"sex":"F"}`:
 * `_ts` first, then the non-null features with their JSON types (docs/ONLINE-STORE.md). Every
 * row starts with `ROW_PREFIX` followed by the 24-character ISO time, so the write script finds
 * the event time at a fixed offset without parsing JSON (ISO strings sort like the instants).
 */
export const ROW_PREFIX = `{"${EVENT_TS_FIELD}":"`

/** 1-based Lua positions of the event time inside a row (`string.sub(row, FROM, TO)`). */
export const ROW_TS_FROM = ROW_PREFIX.length + 1
export const ROW_TS_TO = ROW_PREFIX.length + 24

/** Per view: `,"name":` for each field, built once per encoder instead of once per value. */
const jsonKeysOf = (view: OnlineView): string[] =>
  view.fields.map((f) => `,${JSON.stringify(f.name)}:`)

/**
 * The encoder of a view's rows to their JSON text, each checked against the field types first
 * (VALIDATION naming `view:field` and the entity). Numbers print as JavaScript prints them, which
 * is valid JSON for the finite numbers validation lets through and parses back to the same value.
 * It remembers the last event time's text (a batch often shares one) and, per text field, the
 * JSON of the strings it has seen (categories repeat).
 * A row's pieces go into one reused array joined once: adding them to a string one by one made
 * ~90 intermediate strings for a 45-field row, which packing the row then had to flatten. With
 * the remembered quotes, encoding and packing a diabetic `encounter` row fell from ~4.9 µs to
 * ~4.2 (page-sized batches, same machine); 10-field rows measured the same as before.
 */
export const makeRedisRowEncoder = (view: OnlineView): ((row: FeatureRow) => string) => {
  const jsonKeys = jsonKeysOf(view)
  const fields = view.fields.map((f, i) => ({
    name: f.name,
    type: f.type,
    jsonKey: jsonKeys[i] as string,
    // Only a name Object.prototype also has needs the own-property check (`own`): a plain
    // `values[name]` reads the row's value for every other name, ~0.1 µs a row less.
    inherited: f.name in Object.prototype,
    // A string in a string or categorical field is valid as it is: JSON-quote it, skip the check.
    textual: f.type !== 'int' && f.type !== 'float' && f.type !== 'bool',
    quoted: new Map<string, string>(),
  }))
  const head = makeRowHead(view)
  // [event time, then per field: its JSON key and its value, both '' when the value is null].
  const parts = new Array<string>(1 + 2 * fields.length).fill('')
  return (row) => {
    const values = row.values
    parts[0] = head(row)
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as (typeof fields)[number]
      const value = f.inherited ? own(values, f.name) : values[f.name]
      if (value === null || value === undefined) {
        parts[2 * i + 1] = ''
        parts[2 * i + 2] = ''
        continue
      }
      parts[2 * i + 1] = f.jsonKey
      parts[2 * i + 2] =
        f.textual && typeof value === 'string'
          ? quote(f.quoted, value)
          : encodeValue(f.type, value, view.name, f.name, row.entityKey)
    }
    return `${parts.join('')}}`
  }
}

/**
 * The row text from fields the offline store wrote as JSON (`FieldsJsonRow`): the same text as
 * `makeRedisRowEncoder` once parsed, with the event time checked and written here, by the same
 * code.
 */
export const makeFieldsJsonRowText = (view: OnlineView): ((row: FieldsJsonRow) => string) => {
  const head = makeRowHead(view)
  return (row) => `${head(row)}${row.fieldsJson}}`
}

/**
 * `{"_ts":"<ISO event time>"`, after checking the event time can be stored (VALIDATION). Both row
 * texts start with it, so a view with a field named `_ts` is refused here (UNSUPPORTED).
 */
const makeRowHead = (view: OnlineView): ((row: { entityKey: string; eventTs: Date }) => string) => {
  const clash = view.fields.find((f) => f.name === EVENT_TS_FIELD)
  if (clash) {
    throw new AppError('UNSUPPORTED', `view '${view.name}' has a field named '${clash.name}'`, {
      field: `${view.name}:${clash.name}`,
    })
  }
  const iso = lastInstantText()
  return (row) => {
    if (!isStorableEventTs(row.eventTs.getTime())) {
      throw badEventTs(`${view.name} entity '${row.entityKey}'`)
    }
    return `${ROW_PREFIX}${iso(row.eventTs)}"`
  }
}

/**
 * Distinct strings whose JSON a field remembers, and the longest: categories are short and
 * repeat; free text is long and would only hold memory.
 */
const QUOTED_LIMIT = 4096
const QUOTED_MAX_LENGTH = 64

const quote = (seen: Map<string, string>, value: string): string => {
  let json = seen.get(value)
  if (json === undefined) {
    json = JSON.stringify(value)
    if (seen.size < QUOTED_LIMIT && value.length <= QUOTED_MAX_LENGTH) seen.set(value, json)
  }
  return json
}

/**
 * One entity's answer from its stored JSON (null: never written). Status from the TTL as in the
 * memory store (`toEntityResult`); a value whose JSON type no longer fits the field is read as
 * its text and decoded like the memory store's text, so both stores give the same answer or the
 * same CONFLICT after a definition change.
 */
export const decodeRedisRow = (
  view: OnlineView,
  wanted: readonly { readonly name: string; readonly type: FieldType }[],
  entityKey: string,
  text: string | null,
  nowMs: number,
): OnlineEntityResult => {
  if (text === null) return { status: 'not_found', entityKey }
  const row = parseRow(view.name, entityKey, text)
  const eventTs = new Date(row[EVENT_TS_FIELD] as string)
  if (isStale(view, eventTs, nowMs)) return { status: 'stale', entityKey, eventTs }
  const values: Record<string, FeatureValue> = {}
  for (const f of wanted) {
    const v = Object.hasOwn(row, f.name) ? row[f.name] : null
    values[f.name] = fits(f.type, v)
      ? (v as FeatureValue)
      : decodeValue(f.type, textOf(v, view.name, f.name), view.name, f.name)
  }
  return { status: 'present', entityKey, eventTs, values }
}

const parseRow = (view: string, entityKey: string, text: string): Record<string, unknown> => {
  let row: unknown
  try {
    row = JSON.parse(text)
  } catch {
    row = undefined
  }
  const ts = (row as Record<string, unknown> | undefined)?.[EVENT_TS_FIELD]
  if (
    typeof row !== 'object' ||
    row === null ||
    typeof ts !== 'string' ||
    Number.isNaN(Date.parse(ts))
  ) {
    throw new AppError(
      'CONFLICT',
      `${view} entity '${entityKey}' is not a Ward row (${JSON.stringify(text.slice(0, 40))}); re-run ward materialize`,
      { field: `${view}:${EVENT_TS_FIELD}` },
    )
  }
  return row as Record<string, unknown>
}

/** JSON already has the field's type (the common case): no conversion needed. */
const fits = (type: FieldType, v: unknown): boolean =>
  v === null ||
  (type === 'int'
    ? Number.isSafeInteger(v)
    : type === 'float'
      ? typeof v === 'number'
      : type === 'bool'
        ? typeof v === 'boolean'
        : typeof v === 'string')

/** A scalar as the text the memory store would hold; an array or object is no feature value. */
const textOf = (v: unknown, view: string, field: string): string => {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  throw new AppError(
    'CONFLICT',
    `${view}:${field} holds ${JSON.stringify(v)}; re-run ward materialize`,
    {
      field: `${view}:${field}`,
    },
  )
}
