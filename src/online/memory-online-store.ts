import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AppError } from '../core/errors.js'
import { own } from '../core/own.js'
import type { FeatureRow } from '../offline/offline-store.js'
import type {
  OnlineReadRequest,
  OnlineStore,
  OnlineView,
  OnlineViewResult,
  OnlineWriteReport,
} from './online-store.js'
import {
  type EncodedValues,
  EVENT_TS_FIELD,
  encodeEventTs,
  encodeRow,
  requestedFields,
  toEntityResult,
} from './value-codec.js'

/** One entity's row as stored: each field's text (value-codec.ts), as in the snapshot file. */
interface StoredRow {
  eventTsMs: number
  eventTs: string
  values: EncodedValues
}

/** Snapshot file: view → entity key → `{ _ts, field: text }`, the Redis hash layout as JSON. */
interface Snapshot {
  format: typeof SNAPSHOT_FORMAT
  views: Record<string, Record<string, Record<string, string>>>
}

const SNAPSHOT_FORMAT = 'ward-online-snapshot/1'

/**
 * The in-process online store. With `path`, it loads that snapshot when opened and writes it
 * atomically (temp file + rename) on `flush()` and `close()`, so `ward materialize` and a later
 * `ward serve` share data with no server. Two processes writing one snapshot: the last to close
 * wins.
 */
export class MemoryOnlineStore implements OnlineStore {
  private readonly views = new Map<string, Map<string, StoredRow>>()
  private dirty = false

  private constructor(private readonly path: string | undefined) {}

  /** Opens the store, loading the snapshot at `path` when the file exists. */
  static async open(options: { path?: string } = {}): Promise<MemoryOnlineStore> {
    const store = new MemoryOnlineStore(options.path)
    if (options.path !== undefined) await store.load(options.path)
    return store
  }

  async write(view: OnlineView, rows: readonly FeatureRow[]): Promise<OnlineWriteReport> {
    // Encode everything first so a bad row leaves the store untouched.
    const encoded = rows.map((row) => ({
      key: row.entityKey,
      eventTsMs: row.eventTs.getTime(),
      eventTs: encodeEventTs(row.eventTs, `${view.name} entity '${row.entityKey}'`),
      values: encodeRow(view, row),
    }))
    let byKey = this.views.get(view.name)
    if (!byKey) {
      byKey = new Map()
      this.views.set(view.name, byKey)
    }
    let written = 0
    for (const { key, ...row } of encoded) {
      const current = byKey.get(key)
      if (current && current.eventTsMs > row.eventTsMs) continue
      byKey.set(key, row)
      written += 1
    }
    if (written > 0) this.dirty = true
    return { written, skippedOlder: rows.length - written }
  }

  async read(requests: readonly OnlineReadRequest[], now: Date): Promise<OnlineViewResult[]> {
    const nowMs = now.getTime()
    return requests.map(({ view, entityKeys, fields }) => {
      const wanted = requestedFields(view, fields)
      const byKey = this.views.get(view.name)
      return {
        view: view.name,
        entities: entityKeys.map((key) => {
          const row = byKey?.get(key)
          return toEntityResult(
            view,
            wanted,
            key,
            row?.eventTs,
            (f) => (row ? own(row.values, f) : undefined),
            nowMs,
          )
        }),
      }
    })
  }

  async ping(): Promise<void> {}

  /** Writes the snapshot if anything changed since the last flush (no-op without `path`). */
  async flush(): Promise<void> {
    if (this.path === undefined || !this.dirty) return
    const snapshot: Snapshot = { format: SNAPSHOT_FORMAT, views: {} }
    for (const [view, byKey] of this.views) {
      // fromEntries defines own properties, so an entity key like `__proto__` survives.
      snapshot.views[view] = Object.fromEntries(
        [...byKey].map(([key, row]) => [key, { [EVENT_TS_FIELD]: row.eventTs, ...row.values }]),
      )
    }
    await writeAtomically(this.path, JSON.stringify(snapshot))
    this.dirty = false
  }

  async close(): Promise<void> {
    await this.flush()
  }

  private async load(path: string): Promise<void> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new AppError('UNAVAILABLE', `online snapshot ${path} cannot be read: ${e}`, {
        field: 'online_store.path',
        cause: e,
      })
    }
    const snapshot = parseSnapshot(text, path)
    for (const [view, rows] of Object.entries(snapshot.views)) {
      const byKey = new Map<string, StoredRow>()
      for (const [key, { [EVENT_TS_FIELD]: eventTs, ...values }] of Object.entries(rows)) {
        const eventTsMs = Date.parse(eventTs ?? '')
        if (eventTs === undefined || Number.isNaN(eventTsMs)) {
          throw corrupt(path, `views.${view}.${key}._ts`)
        }
        byKey.set(key, { eventTsMs, eventTs, values })
      }
      this.views.set(view, byKey)
    }
  }
}

const corrupt = (path: string, where: string): AppError =>
  new AppError(
    'VALIDATION',
    `online snapshot ${path} is damaged at ${where}; delete it and re-run ward materialize`,
    { field: 'online_store.path' },
  )

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Checks the whole shape so a damaged file fails at open, not mid-request. */
const parseSnapshot = (text: string, path: string): Snapshot => {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw corrupt(path, 'its JSON')
  }
  if (!isRecord(data) || data.format !== SNAPSHOT_FORMAT || !isRecord(data.views)) {
    throw corrupt(path, 'format')
  }
  for (const [view, rows] of Object.entries(data.views)) {
    if (!isRecord(rows)) throw corrupt(path, `views.${view}`)
    for (const [key, row] of Object.entries(rows)) {
      if (!isRecord(row) || !Object.values(row).every((v) => typeof v === 'string')) {
        throw corrupt(path, `views.${view}.${key}`)
      }
    }
  }
  return data as unknown as Snapshot
}

/** Temp file in the same folder, fsync, then rename: readers see the old or the new file, whole. */
const writeAtomically = async (path: string, text: string): Promise<void> => {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  try {
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true })
    throw new AppError('UNAVAILABLE', `online snapshot ${path} cannot be written: ${e}`, {
      field: 'online_store.path',
      cause: e,
    })
  }
}
