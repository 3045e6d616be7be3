import type { FieldType } from '../features/schema.js'
import type { FeatureRow, FeatureValue, FieldsJsonRow } from '../offline/offline-store.js'

/**
 * What the online store needs to know about a view: its name, TTL in seconds (0 = values never
 * expire) and its fields' names and types (values are decoded by type). A `StoredView` fits.
 */
export interface OnlineView {
  readonly name: string
  readonly ttl: number
  readonly fields: readonly { readonly name: string; readonly type: FieldType }[]
}

/** Some entities of one view; `fields` narrows the answer to these fields (default: all). */
export interface OnlineReadRequest {
  view: OnlineView
  entityKeys: readonly string[]
  fields?: readonly string[]
}

/**
 * The answer for one entity of one view. Only `present` carries values: a `stale` row (older than
 * the view's TTL) withholds them, so a client cannot serve an expired value by accident.
 */
export type OnlineEntityResult =
  | {
      status: 'present'
      entityKey: string
      eventTs: Date
      /** Requested field → value; null when the row has no value for it. */
      values: Record<string, FeatureValue>
    }
  | { status: 'stale'; entityKey: string; eventTs: Date }
  | { status: 'not_found'; entityKey: string }

/** Results for one request, entities in request order. */
export interface OnlineViewResult {
  view: string
  entities: OnlineEntityResult[]
}

/** Rows a write stored, and rows it skipped because a newer row was already online. */
export interface OnlineWriteReport {
  written: number
  skippedOlder: number
}

/**
 * The latest feature values per entity, for serving. Implementations: `memory-online-store.ts`
 * (in-process, optional snapshot file) and `redis-online-store.ts`. Both pass
 * `online-store.contract.ts`.
 */
export interface OnlineStore {
  /**
   * Stores the rows of one view, one per entity. A row never replaces a row with a later event
   * time (equal event times: the new row wins, so re-runs are idempotent).
   */
  write(view: OnlineView, rows: readonly FeatureRow[]): Promise<OnlineWriteReport>
  /**
   * Optional, for stores that keep rows as JSON text (Redis): `write` for rows whose fields the
   * offline store already wrote as JSON (`FieldsJsonRow`), same rules and result. `materialize`
   * uses it when the offline store offers such rows.
   */
  writeFieldsJson?(view: OnlineView, rows: readonly FieldsJsonRow[]): Promise<OnlineWriteReport>
  /**
   * Many entities × many views in one round trip. Status per entity: `not_found` when never
   * written, `stale` when `ttl > 0` and `now − eventTs > ttl`, else `present`. Results are in
   * request order.
   */
  read(requests: readonly OnlineReadRequest[], now: Date): Promise<OnlineViewResult[]>
  /** Fails with UNAVAILABLE when the backend does not answer. */
  ping(): Promise<void>
  /**
   * Makes what was written visible to other processes and kept across a restart, as far as the
   * backend can: the in-process store writes its snapshot file; Redis has it already.
   * Materialize calls it before it moves a watermark.
   */
  flush(): Promise<void>
  /** Persists what must persist and releases connections. */
  close(): Promise<void>
}
