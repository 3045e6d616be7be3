import { AppError } from '../core/errors.js'
import { own } from '../core/own.js'
import type { FieldType } from '../features/schema.js'
import type { FeatureRow, FeatureValue } from '../offline/offline-store.js'
import type { OnlineEntityResult, OnlineView } from './online-store.js'

/**
 * The text form of values (memory store and its snapshot; Redis rows reuse the validation, the
 * event time and the decoding, see redis-row-codec.ts): numbers as JavaScript prints them,
 * booleans as `true`/`false`, strings verbatim, null as an absent field; event time as an
 * ISO-8601 UTC string under `_ts`, which sorts like the instant itself.
 */
export const EVENT_TS_FIELD = '_ts'

/** Field → text, without `_ts`; null values are left out. */
export type EncodedValues = Record<string, string>

const MIN_MS = Date.parse('0000-01-01T00:00:00.000Z')
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z')

/** Whether an event time can be stored: only years 0–9999 keep ISO strings in time order. */
export const isStorableEventTs = (ms: number): boolean =>
  Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS

/** The error for an event time `isStorableEventTs` refuses; `where` names the row. */
export const badEventTs = (where: string): AppError =>
  new AppError('VALIDATION', `${where}: event time must be a date in years 0–9999`, {
    field: where,
  })

/**
 * Refuses an entity key that is not well-formed Unicode (a lone UTF-16 surrogate, which JSON
 * can carry): Redis stores keys as UTF-8, where it would become U+FFFD and meet other keys. Both
 * stores refuse it, on writes and reads alike, so they answer the same.
 */
export const checkEntityKey = (view: string, key: string): void => {
  if (LONE_SURROGATE.test(key)) {
    throw new AppError(
      'VALIDATION',
      `${view}: entity key ${JSON.stringify(key)} is not well-formed Unicode (a lone surrogate)`,
      { field: `${view}:entity_key` },
    )
  }
}

// With the u flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /\p{Cs}/u

/** Text form of an event time (VALIDATION unless `isStorableEventTs`). */
export const encodeEventTs = (eventTs: Date, where: string): string => {
  if (!isStorableEventTs(eventTs.getTime())) throw badEventTs(where)
  return eventTs.toISOString()
}

/** Checks a row against the view's field types and encodes it; throws VALIDATION naming the field. */
export const encodeRow = (view: OnlineView, row: FeatureRow): EncodedValues => {
  const out: EncodedValues = {}
  for (const field of view.fields) {
    const value = own(row.values, field.name)
    if (value === null || value === undefined) continue
    out[field.name] = encodeValue(field.type, value, view.name, field.name, row.entityKey)
  }
  return out
}

/** One value's text after checking it against the field's type (VALIDATION naming the field). */
export const encodeValue = (
  type: FieldType,
  value: Exclude<FeatureValue, null>,
  view: string,
  field: string,
  entityKey: string,
): string => {
  const ok =
    type === 'int'
      ? Number.isSafeInteger(value)
      : type === 'float'
        ? typeof value === 'number' && Number.isFinite(value)
        : type === 'bool'
          ? typeof value === 'boolean'
          : typeof value === 'string'
  if (!ok) {
    throw new AppError(
      'VALIDATION',
      `${view}:${field} of entity '${entityKey}' is ${JSON.stringify(value)}, not a ${type}`,
      { field: `${view}:${field}` },
    )
  }
  return String(value)
}

/** Text → typed value; a value that no longer fits its field's type is a CONFLICT, not a guess. */
export const decodeValue = (
  type: FieldType,
  text: string | null | undefined,
  view: string,
  field: string,
): FeatureValue => {
  if (text === null || text === undefined) return null
  if (type === 'string' || type === 'categorical') return text
  if (type === 'bool') {
    if (text === 'true') return true
    if (text === 'false') return false
  } else {
    const n = Number(text)
    if (text !== '' && Number.isFinite(n) && (type === 'float' || Number.isSafeInteger(n))) return n
  }
  throw new AppError(
    'CONFLICT',
    `${view}:${field} holds ${JSON.stringify(text)}, not a ${type}; the definition changed since materialization, re-run ward materialize`,
    { field: `${view}:${field}` },
  )
}

/** The fields a request asks for, checked against the view; throws VALIDATION on unknown names. */
export const requestedFields = (
  view: OnlineView,
  fields: readonly string[] | undefined,
): readonly { readonly name: string; readonly type: FieldType }[] => {
  if (fields === undefined) return view.fields
  return fields.map((name) => {
    const f = view.fields.find((x) => x.name === name)
    if (!f) {
      throw new AppError('VALIDATION', `view '${view.name}' has no field '${name}'`, {
        field: `${view.name}:${name}`,
      })
    }
    return f
  })
}

/**
 * Whether a row is too old to serve: `ttl > 0` and older than `ttl` seconds. A row exactly `ttl`
 * seconds old is still fresh, as in the offline store's `event_ts ≥ t − ttl`. Both stores ask this.
 */
export const isStale = (view: OnlineView, eventTs: Date, nowMs: number): boolean =>
  view.ttl > 0 && nowMs - eventTs.getTime() > view.ttl * 1000

/**
 * Builds one entity's answer from its stored text: status from the TTL (`isStale`), values
 * decoded by type.
 */
export const toEntityResult = (
  view: OnlineView,
  fields: readonly { readonly name: string; readonly type: FieldType }[],
  entityKey: string,
  eventTsText: string | null | undefined,
  textOf: (field: string) => string | null | undefined,
  nowMs: number,
): OnlineEntityResult => {
  if (eventTsText === null || eventTsText === undefined) return { status: 'not_found', entityKey }
  const eventTs = new Date(eventTsText)
  if (Number.isNaN(eventTs.getTime())) {
    throw new AppError('CONFLICT', `${view.name} entity '${entityKey}' has a bad _ts`, {
      field: `${view.name}:_ts`,
    })
  }
  if (isStale(view, eventTs, nowMs)) return { status: 'stale', entityKey, eventTs }
  const values: Record<string, FeatureValue> = {}
  for (const f of fields) values[f.name] = decodeValue(f.type, textOf(f.name), view.name, f.name)
  return { status: 'present', entityKey, eventTs, values }
}
