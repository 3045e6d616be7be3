import { own } from '../core/own.js'
import type {
  EntityRow,
  FeatureRow,
  FeatureValue,
  HistoricalResult,
} from '../offline/offline-store.js'

/** One view's full history, for the in-memory join. */
export interface InMemoryView {
  name: string
  /** Seconds a value stays valid after its event time; 0 means forever. */
  ttlSeconds: number
  fields: readonly string[]
  /** In write order: of rows equal in (key, event time, created time), the first one counts. */
  rows: readonly FeatureRow[]
}

/**
 * The point-in-time join as a specification (pure, O(entity rows × history), for tests): for each
 * entity row (key, t) and each view, the row with the latest event time in [t − ttl, t] (ttl 0: no
 * lower bound), ties broken by the later created time (no created time loses), full ties by write
 * order. Nothing after t is ever used. Keys compare as strings. Output: one record per entity row,
 * in input order, `view:field` → value, null where no row qualifies. Same rules as Feast's
 * `get_historical_features`; `pit-query.ts` is the SQL that must agree with this.
 */
export const pointInTimeJoin = (
  entityRows: readonly EntityRow[],
  views: readonly InMemoryView[],
): HistoricalResult =>
  entityRows.map((e) => {
    const out: Record<string, FeatureValue> = {}
    const t = e.eventTs.getTime()
    for (const v of views) {
      let best: FeatureRow | undefined
      for (const row of v.rows) {
        if (row.entityKey !== e.entityKey) continue
        const rt = row.eventTs.getTime()
        if (rt > t || (v.ttlSeconds > 0 && rt < t - v.ttlSeconds * 1000)) continue
        if (!best || isLater(row, best)) best = row
      }
      for (const f of v.fields) out[`${v.name}:${f}`] = best ? (own(best.values, f) ?? null) : null
    }
    return out
  })

/** Strictly later in (event time, created time); a missing created time is the earliest. */
const isLater = (a: FeatureRow, b: FeatureRow): boolean => {
  const d = a.eventTs.getTime() - b.eventTs.getTime()
  if (d !== 0) return d > 0
  return (a.createdTs?.getTime() ?? -Infinity) > (b.createdTs?.getTime() ?? -Infinity)
}
