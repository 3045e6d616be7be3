import { AppError, isAppError } from '../core/errors.js'
import type { StoredView } from '../features/schema.js'
import type { OfflineStore } from '../offline/offline-store.js'
import type { OnlineStore, OnlineWriteReport } from './online-store.js'
import type { WatermarkStore } from './watermark-store.js'

/** Reported after every batch written, for a progress bar. */
export interface MaterializeProgress {
  view: string
  /** 0-based position of the view in the run, and how many views the run has. */
  viewIndex: number
  viewCount: number
  /** Rows written for this view so far, and for the whole run so far. */
  viewRows: number
  totalRows: number
}

/** What one view's run did. */
export interface ViewMaterialization {
  view: string
  /** Rows with `start < event_ts ≤ end` were copied; undefined start: no lower bound. */
  start: Date | undefined
  end: Date
  /** Rows read from the offline store (latest per entity), and how many were newer online. */
  rows: number
  skippedOlder: number
  seconds: number
  /** The view's watermark after the run (unchanged when the range left a gap, see below). */
  watermark: Date | undefined
}

export interface MaterializeReport {
  views: ViewMaterialization[]
  rows: number
  seconds: number
  rowsPerSecond: number
}

interface Common {
  /** `latestFieldsJson` is used when the online store takes such rows (`writeFieldsJson`). */
  offline: Pick<OfflineStore, 'latestRows'> & Partial<Pick<OfflineStore, 'latestFieldsJson'>>
  online: OnlineStore
  views: readonly StoredView[]
  watermarks: WatermarkStore
  onProgress?: (progress: MaterializeProgress) => void
}

/**
 * `ward materialize --start --end`: for each view, the latest row per entity with
 * `start < event_ts ≤ end` goes online. A view's watermark moves to `end` only after all its rows
 * were written, and only when the range joins what is already online (no start, or start ≤ the
 * current watermark): a range leaving a gap must not let `materialize-incremental` skip the gap.
 * A watermark never moves back, nor past `now`: rows stamped between now and a future `end` may
 * still be ingested, and the next incremental run must copy them. A failed run can simply be
 * re-run: writes are idempotent.
 */
export const materialize = async (
  options: Common & { start: Date | undefined; end: Date; now?: Date },
): Promise<MaterializeReport> => {
  const { start, end } = options
  const now = options.now ?? new Date()
  if (start !== undefined && start.getTime() >= end.getTime()) {
    throw new AppError(
      'VALIDATION',
      `--start ${start.toISOString()} must be before --end ${end.toISOString()}`,
      { field: 'start' },
    )
  }
  return run(options, async () => ({ start, end }), now)
}

/**
 * `ward materialize-incremental`: per view, from its watermark (unbounded when it has none) to
 * `now`. A view already at or past `now` copies nothing. A `now` in the future (`--now`) copies
 * rows up to it, but, as for `materialize`, no watermark moves past the real time: rows stamped
 * in between and ingested later must still be copied by the next run.
 */
export const materializeIncremental = async (
  options: Common & { now: Date },
): Promise<MaterializeReport> =>
  run(
    options,
    async (view) => ({ start: await options.watermarks.get(view), end: options.now }),
    new Date(Math.min(options.now.getTime(), Date.now())),
  )

const run = async (
  options: Common,
  rangeOf: (view: string) => Promise<{ start: Date | undefined; end: Date }>,
  /** No watermark moves past this time. */
  now: Date,
): Promise<MaterializeReport> => {
  const started = performance.now()
  const report: ViewMaterialization[] = []
  let totalRows = 0
  let failure: { error: unknown } | undefined
  for (const [viewIndex, view] of options.views.entries()) {
    try {
      const { start, end } = await rangeOf(view.name)
      const viewStarted = performance.now()
      let written = { rows: 0, skippedOlder: 0 }
      if (start === undefined || start.getTime() < end.getTime()) {
        written = await copyView(options, view, start, end, (viewRows, batchRows) => {
          totalRows += batchRows
          options.onProgress?.({
            view: view.name,
            viewIndex,
            viewCount: options.views.length,
            viewRows,
            totalRows,
          })
        })
      }
      const seconds = (performance.now() - viewStarted) / 1000
      report.push({ view: view.name, start, end, ...written, seconds, watermark: undefined })
    } catch (error) {
      failure = { error }
      break
    }
  }
  // A watermark says its rows are online, so it moves only once another process could read
  // them: one flush for the run (the in-process store rewrites its whole snapshot file), then
  // the watermarks of the views that finished, also when a later one failed.
  if (report.length > 0) {
    try {
      await options.online.flush()
    } catch (e) {
      throw failure ? bothFailed(failure.error, e) : e
    }
    for (const r of report) {
      const upTo = r.end.getTime() > now.getTime() ? now : r.end
      r.watermark = await advanceWatermark(options.watermarks, r.view, r.start, upTo)
    }
  }
  if (failure) throw failure.error
  const seconds = (performance.now() - started) / 1000
  return {
    views: report,
    rows: totalRows,
    seconds,
    rowsPerSecond: seconds > 0 ? totalRows / seconds : 0,
  }
}

/** The run's own failure stays the one reported (its code and message); the flush's is added. */
const bothFailed = (first: unknown, flush: unknown): Error => {
  const also = `; saving what was written failed too: ${flush instanceof Error ? flush.message : String(flush)}`
  if (isAppError(first)) {
    return new AppError(first.code, `${first.message}${also}`, {
      field: first.field,
      cause: new AggregateError([first, flush]),
    })
  }
  return new AggregateError([first, flush], `materialize failed${also}`)
}

/**
 * Streams batches offline → online with up to two writes in flight, so the next batch is read
 * and encoded while Redis applies the previous one (measured: ~1.6× the rows/s of one at a
 * time). Safe because each write keeps the later event time per entity, whatever the order.
 * Rows go as `FieldsJsonRow`s when both stores can (the database writes the JSON), else as
 * `FeatureRow`s.
 */
const copyView = (
  options: Common,
  view: StoredView,
  start: Date | undefined,
  end: Date,
  onBatch: (viewRows: number, batchRows: number) => void,
): Promise<{ rows: number; skippedOlder: number }> => {
  const { offline, online } = options
  if (online.writeFieldsJson && offline.latestFieldsJson) {
    const write = online.writeFieldsJson.bind(online)
    return copyPages(offline.latestFieldsJson(view, start, end), (b) => write(view, b), onBatch)
  }
  return copyPages(offline.latestRows(view, start, end), (b) => online.write(view, b), onBatch)
}

const copyPages = async <R>(
  pages: AsyncIterable<R[]>,
  write: (batch: R[]) => Promise<OnlineWriteReport>,
  onBatch: (viewRows: number, batchRows: number) => void,
): Promise<{ rows: number; skippedOlder: number }> => {
  let rows = 0
  let skippedOlder = 0
  const pending: Promise<void>[] = []
  const writeBatch = async (batch: R[]): Promise<void> => {
    const result = await write(batch)
    rows += batch.length
    skippedOlder += result.skippedOlder
    onBatch(rows, batch.length)
  }
  try {
    for await (const batch of pages) {
      if (batch.length === 0) continue
      if (pending.length >= MAX_WRITES_IN_FLIGHT) await pending.shift()
      const write = writeBatch(batch)
      // Marks it handled while the next batch is read; awaiting it still throws.
      write.catch(() => {})
      pending.push(write)
    }
    for (const write of pending) await write
  } catch (e) {
    // Let writes in flight settle before the caller (and a re-run) moves on.
    await Promise.allSettled(pending)
    throw e
  }
  return { rows, skippedOlder }
}

const MAX_WRITES_IN_FLIGHT = 2

/** Moves the watermark to `end` when `(start, end]` joins what is online; never backwards. */
const advanceWatermark = async (
  watermarks: WatermarkStore,
  view: string,
  start: Date | undefined,
  end: Date,
): Promise<Date | undefined> => {
  const current = await watermarks.get(view)
  const joins =
    start === undefined || (current !== undefined && start.getTime() <= current.getTime())
  if (!joins || (current !== undefined && current.getTime() >= end.getTime())) return current
  await watermarks.set(view, end)
  return end
}
