import { z } from 'zod'
import { parseTimestamp } from './timestamp.js'

/**
 * The schema of `features/*.yaml`: entities, data sources, feature views and label views.
 * Pure declarations (no I/O): `load.ts` reads the files, `repo.ts` cross-checks references.
 * Names become SQL identifiers and Redis key parts, hence the strict pattern.
 */
const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,47}$/, 'lower-case letters, digits and _, starting with a letter')

const DURATION = "expected a duration like '30d', '12h', '15m', '45s' or 0"

/** `30d`, `12h`, `15m`, `45s`, or 0 (no bound). Parsed to seconds. */
export const durationSchema = z.union(
  [
    z.literal(0).transform(() => 0),
    z
      .string()
      .regex(/^(0|\d+[smhdw])$/, DURATION)
      .transform((s) => {
        if (s === '0') return 0
        const n = Number(s.slice(0, -1))
        const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[s.slice(-1) as 's']
        return n * unit
      }),
  ],
  // One message for both branches (a number other than 0 would otherwise read "Invalid input").
  { error: DURATION },
)

export const entitySchema = z.strictObject({
  name: identifier,
  /** The key column's name, in source CSVs and in entity files for `historical`. */
  join_key: identifier,
  /**
   * Keys are always stored and compared as strings (`007` is not `7`); `int` also makes ingest
   * reject keys that are not plain integers (`-?digits`).
   */
  type: z.enum(['string', 'int']).default('string'),
  description: z.string().optional(),
})

/** When an event happened: a column of the source, or one fixed instant for data that has none. */
export const timestampSpecSchema = z.union([
  z.strictObject({ column: z.string().min(1) }),
  z.strictObject({
    // Validated by the very parser ingest uses, so the schema never accepts what ingest rejects.
    fixed: z.string().refine((s) => parseTimestamp(s) !== undefined, {
      message: "an ISO 8601 date-time such as '1988-07-01T00:00:00Z' (no zone means UTC)",
    }),
  }),
])

export const sourceSchema = z.strictObject({
  name: identifier,
  type: z.literal('csv').default('csv'),
  description: z.string().optional(),
  /** Where the entity key of each row comes from: a column, or `$row` for the 1-based data row number. */
  entity_columns: z.record(identifier, z.string().min(1)),
  event_timestamp: timestampSpecSchema,
  /** Optional column with the time a row was written; breaks ties between rows with equal event time. */
  created_timestamp_column: z.string().min(1).optional(),
  /** Raw cell values that mean "missing" in every column of this source, e.g. `""` or `"?"`. */
  missing_values: z.array(z.string()).default(['']),
})

const fieldBase = {
  name: identifier,
  /** Source column the value is read from; defaults to the field name. */
  column: z.string().min(1).optional(),
  nullable: z.boolean().default(true),
  /** Raw values meaning missing for this field only, on top of the source's, e.g. `"0"` for chol. */
  missing_values: z.array(z.string()).default([]),
  description: z.string().optional(),
}

export const fieldSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...fieldBase, type: z.literal('int') }),
  z.strictObject({ ...fieldBase, type: z.literal('float') }),
  z.strictObject({
    ...fieldBase,
    type: z.literal('bool'),
    true_values: z.array(z.string()).default(['TRUE', 'true', 'True', '1', 'yes']),
    false_values: z.array(z.string()).default(['FALSE', 'false', 'False', '0', 'no']),
  }),
  z.strictObject({
    ...fieldBase,
    type: z.literal('categorical'),
    values: z.array(z.string()).min(1),
  }),
  z.strictObject({ ...fieldBase, type: z.literal('string') }),
])

const viewBase = {
  name: identifier,
  entity: identifier,
  source: identifier,
  /** How long a value stays valid after its event time; 0 means forever. */
  ttl: durationSchema.default(0),
  description: z.string().optional(),
}

export const featureViewSchema = z.strictObject({
  ...viewBase,
  fields: z.array(fieldSchema).min(1),
})

/** Timestamped outcomes per entity: stored and joined like a feature view, used as training labels. */
export const labelViewSchema = z.strictObject({ ...viewBase, fields: z.array(fieldSchema).min(1) })

/** One `features/*.yaml` file; every section is optional so definitions can be split across files. */
export const featureFileSchema = z.strictObject({
  entities: z.array(entitySchema).default([]),
  sources: z.array(sourceSchema).default([]),
  feature_views: z.array(featureViewSchema).default([]),
  label_views: z.array(labelViewSchema).default([]),
})

export type Entity = z.infer<typeof entitySchema>
export type Source = z.infer<typeof sourceSchema>
export type TimestampSpec = z.infer<typeof timestampSpecSchema>
export type Field = z.infer<typeof fieldSchema>
export type FieldType = Field['type']
export type FeatureView = z.infer<typeof featureViewSchema>
export type LabelView = z.infer<typeof labelViewSchema>
export type FeatureFile = z.infer<typeof featureFileSchema>

/** A view of either kind, as stores see it. */
export type StoredView = (FeatureView | LabelView) & { kind: 'feature' | 'label' }

/** A `view:feature` reference, as in Feast. */
export interface FeatureRef {
  view: string
  feature: string
}

export const parseFeatureRef = (ref: string): FeatureRef | undefined => {
  const m = /^([a-z][a-z0-9_]*):([a-z][a-z0-9_]*)$/.exec(ref)
  return m ? { view: m[1] as string, feature: m[2] as string } : undefined
}

export const formatFeatureRef = (r: FeatureRef): string => `${r.view}:${r.feature}`
