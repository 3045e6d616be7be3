import type { StoredView } from '../features/schema.js'
import type { FeatureRow, OfflineStore } from '../offline/offline-store.js'
import type { OnlineStore } from './online-store.js'

/**
 * A stand-in for the Postgres offline store's `latestRows`, for tests and the bench: per view,
 * the latest row per entity with `start < eventTs ≤ end` (ties: later createdTs), in batches.
 * Entities come out in first-seen order.
 */
export class FakeOfflineStore implements Pick<OfflineStore, 'latestRows'> {
  private readonly rows = new Map<string, FeatureRow[]>()

  constructor(private readonly batchSize = 1000) {}

  add(view: string, rows: readonly FeatureRow[]): void {
    const list = this.rows.get(view) ?? []
    for (const row of rows) list.push(row)
    this.rows.set(view, list)
  }

  /** The rows `latestRows` yields, as one array (the oracle for tests). */
  latest(view: string, start: Date | undefined, end: Date): FeatureRow[] {
    const best = new Map<string, FeatureRow>()
    for (const row of this.rows.get(view) ?? []) {
      const t = row.eventTs.getTime()
      if (t > end.getTime() || (start !== undefined && t <= start.getTime())) continue
      const cur = best.get(row.entityKey)
      if (!cur || isLater(row, cur)) best.set(row.entityKey, row)
    }
    return [...best.values()]
  }

  async *latestRows(
    view: StoredView,
    start: Date | undefined,
    end: Date,
  ): AsyncIterable<FeatureRow[]> {
    const all = this.latest(view.name, start, end)
    for (let i = 0; i < all.length; i += this.batchSize) {
      yield all.slice(i, i + this.batchSize)
    }
  }
}

const isLater = (a: FeatureRow, b: FeatureRow): boolean => {
  const d = a.eventTs.getTime() - b.eventTs.getTime()
  if (d !== 0) return d > 0
  return (a.createdTs?.getTime() ?? -Infinity) > (b.createdTs?.getTime() ?? -Infinity)
}

/** Wraps a store so that its `failOnWrite`-th write (1-based) throws, like a dropped connection. */
export const failingOnlineStore = (inner: OnlineStore, failOnWrite: number): OnlineStore => {
  let writes = 0
  return {
    write: async (view, rows) => {
      writes += 1
      if (writes === failOnWrite) throw new Error(`injected failure on write ${writes}`)
      return inner.write(view, rows)
    },
    read: (requests, now) => inner.read(requests, now),
    ping: () => inner.ping(),
    flush: () => inner.flush(),
    close: () => inner.close(),
  }
}
