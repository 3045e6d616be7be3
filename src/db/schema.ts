import type { ColumnType, Generated } from 'kysely'

/**
 * The static tables (created by migrations). Per-view feature tables are created by
 * `ward apply` from the feature definitions and are reached with `db.dynamic`.
 */
export interface Database {
  /** The applied feature definitions: one row per entity, source and view, with a content hash. */
  feature_definitions: {
    kind: 'entity' | 'source' | 'feature_view' | 'label_view'
    name: string
    spec: ColumnType<unknown, string, string>
    content_hash: string
    applied_at: ColumnType<Date, Date | string, Date | string>
  }
  /** One row per completed ingest, for lineage and idempotency reports. */
  ingestions: {
    id: Generated<number>
    source: string
    file_sha256: string
    rows_read: number
    rows_stored: number
    rows_rejected: number
    ingested_at: ColumnType<Date, Date | string, never>
  }
  /** Per-view materialization watermark: rows with event time up to `watermark` are online. */
  materialization_watermarks: {
    view: string
    watermark: ColumnType<Date, Date | string, Date | string>
    updated_at: ColumnType<Date, Date | string, Date | string>
  }
}
