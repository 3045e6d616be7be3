import type { StoredView } from '../features/schema.js'

/** A typed feature value as stored: int/float → number, bool → boolean, categorical/string → string. */
export type FeatureValue = number | string | boolean | null

/** One row of a view's history. */
export interface FeatureRow {
  /** The entity key, always a string (`007` is not `7`). */
  entityKey: string
  eventTs: Date
  /** When the row was written, if the source says; breaks ties between equal event times. */
  createdTs: Date | null
  /** Field name → value, for every field of the view. */
  values: Record<string, FeatureValue>
}

/**
 * One entity's latest row with its fields already written as JSON members, in the view's field
 * order, nulls left out: `,"hr":72,"sex":"F"` (empty when every value is null). The online row
 * (`online/redis-row-codec.ts`) is `{"_ts":"<event time>"` + `fieldsJson` + `}`, so a store that
 * keeps rows as JSON text writes it without turning values into JavaScript and back.
 */
export interface FieldsJsonRow {
  entityKey: string
  eventTs: Date
  fieldsJson: string
}

/** An entity row for point-in-time retrieval: which entity, as of when. */
export interface EntityRow {
  entityKey: string
  eventTs: Date
}

/** Point-in-time request: for each entity row, the listed fields of each view. */
export interface HistoricalRequest {
  entityRows: EntityRow[]
  /** Feature references grouped by view; every view must key on the same entity. */
  features: { view: StoredView; fields: string[] }[]
}

/** One output row per input row, in input order: `view:field` → value (null when none). */
export type HistoricalResult = Record<string, FeatureValue>[]

/**
 * The offline store: history with event timestamps. One Kysely implementation runs on PGlite and
 * Postgres (`postgres-offline-store.ts`).
 */
export interface OfflineStore {
  /** Creates or migrates the per-view tables for these views (additive changes only). */
  ensureTables(views: StoredView[]): Promise<void>
  /** Stores rows of one view; a row equal in (entity, event time, created time) to a stored one is skipped. Returns rows newly stored. */
  writeRows(view: StoredView, rows: FeatureRow[]): Promise<number>
  /** Feast semantics: latest row with event_ts ≤ t and ≥ t − ttl (ttl 0: unbounded), ties by later created time. */
  historical(request: HistoricalRequest): Promise<HistoricalResult>
  /**
   * For materialization: the latest row per entity among rows with `start < event_ts ≤ end`
   * (no lower bound when start is undefined), in batches.
   */
  latestRows(view: StoredView, start: Date | undefined, end: Date): AsyncIterable<FeatureRow[]>
  /**
   * The same rows as `latestRows`, in the same pages, with the fields as JSON built by the
   * database (VALIDATION for a value JSON cannot carry exactly: a float that is not finite, an int
   * beyond ±(2^53 − 1)). Parsed, `fieldsJson` gives the values `latestRows` gives, as the online
   * row encoder writes them (-0 as 0), after checking that the view's columns have the types its
   * fields declare (CONFLICT otherwise: the text is built by those types).
   */
  latestFieldsJson(
    view: StoredView,
    start: Date | undefined,
    end: Date,
  ): AsyncIterable<FieldsJsonRow[]>
}
