import { createHash } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AppError } from '../core/errors.js'
import { lockAcrossProcesses, STALE_MS } from '../core/file-lock.js'
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
  checkEntityKey,
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
 * `ward serve` share data with no server. Processes that write one snapshot merge into it under
 * a lock, with the write rule (per key, the later event time wins), so one does not erase what
 * another materialized (two `materialize` runs on a shared Postgres store did, while both moved
 * their watermarks).
 */
export class MemoryOnlineStore implements OnlineStore {
  private views: StoredViews = new Map()
  /** Keys written since the last flush, per view: what this process adds to the file. */
  private changed = new Map<string, Set<string>>()
  /** The flush in progress, if any: the next waits for it. */
  private flushing: Promise<void> = Promise.resolve()
  /**
   * sha256 of the snapshot file as this process last read or wrote it (undefined: no file). A
   * flush that finds the same bytes knows `views` already holds them and skips parsing them
   * again (`ward materialize` of a 105 MB snapshot took ~0.7 s less); a content hash, since inode
   * and mtime can repeat.
   */
  private fileDigest: string | undefined

  private constructor(private readonly path: string | undefined) {}

  /** Opens the store, loading the snapshot at `path` when the file exists. */
  static async open(options: { path?: string } = {}): Promise<MemoryOnlineStore> {
    const store = new MemoryOnlineStore(options.path)
    if (options.path !== undefined) await store.load(options.path)
    return store
  }

  async write(view: OnlineView, rows: readonly FeatureRow[]): Promise<OnlineWriteReport> {
    // Encode everything first so a bad row leaves the store untouched.
    const encoded = rows.map((row) => {
      checkEntityKey(view.name, row.entityKey)
      return {
        key: row.entityKey,
        eventTsMs: row.eventTs.getTime(),
        eventTs: encodeEventTs(row.eventTs, `${view.name} entity '${row.entityKey}'`),
        values: encodeRow(view, row),
      }
    })
    let byKey = this.views.get(view.name)
    if (!byKey) {
      byKey = new Map()
      this.views.set(view.name, byKey)
    }
    let changed = this.changed.get(view.name)
    if (!changed) {
      changed = new Set()
      this.changed.set(view.name, changed)
    }
    let written = 0
    for (const { key, ...row } of encoded) {
      if (!replaces(row, byKey.get(key))) continue
      byKey.set(key, row)
      changed.add(key)
      written += 1
    }
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
          checkEntityKey(view.name, key)
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

  /**
   * Writes the snapshot if anything changed since the last flush (no-op without `path`): under
   * the file's lock, reads what is there now (another process may have written since this one
   * opened it), keeps this process's rows where they are not older, and writes the union. This
   * process then also sees the other's rows. Flushes run one at a time; rows written while one
   * runs are kept, and go to the file with the next.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushOnce())
    this.flushing = run.catch(() => {})
    return run
  }

  private async flushOnce(): Promise<void> {
    const path = this.path
    const pending = this.changed
    if (path === undefined || ![...pending.values()].some((keys) => keys.size > 0)) return
    this.changed = new Map()
    try {
      await withSnapshotLock(path, async () => {
        const file = await readSnapshotFile(path)
        // Unchanged since this process read or wrote it: `views` is the file plus this
        // process's writes, which is what the merge would give.
        const merged =
          file !== undefined && file.digest === this.fileDigest
            ? this.views
            : parseSnapshotFile(file, path)
        keepNewer(merged, this.views, pending)
        const snapshot: Snapshot = { format: SNAPSHOT_FORMAT, views: {} }
        for (const [view, byKey] of merged) {
          // fromEntries defines own properties, so an entity key like `__proto__` survives.
          snapshot.views[view] = Object.fromEntries(
            [...byKey].map(([key, row]) => [key, { [EVENT_TS_FIELD]: row.eventTs, ...row.values }]),
          )
        }
        this.fileDigest = await writeAtomically(path, JSON.stringify(snapshot))
        // Rows written meanwhile are in `this.views` and the new `changed`: carry them over.
        keepNewer(merged, this.views, this.changed)
        this.views = merged
      })
    } catch (e) {
      // Not in the file: the next flush must still write these keys.
      for (const [view, keys] of pending) {
        const changed = this.changed.get(view) ?? new Set<string>()
        for (const key of keys) changed.add(key)
        this.changed.set(view, changed)
      }
      throw e
    }
  }

  async close(): Promise<void> {
    await this.flush()
  }

  private async load(path: string): Promise<void> {
    const file = await readSnapshotFile(path)
    this.views = parseSnapshotFile(file, path)
    this.fileDigest = file?.digest
  }
}

type StoredViews = Map<string, Map<string, StoredRow>>

/** The write rule: a row replaces the stored one unless that one has a later event time. */
const replaces = (row: { eventTsMs: number }, current: StoredRow | undefined): boolean =>
  !current || current.eventTsMs <= row.eventTsMs

/** Copies `keys` of `from` into `into` where not older than what `into` holds (the write rule). */
const keepNewer = (
  into: StoredViews,
  from: StoredViews,
  keys: ReadonlyMap<string, ReadonlySet<string>>,
): void => {
  for (const [view, viewKeys] of keys) {
    const source = from.get(view)
    if (!source) continue
    let target = into.get(view)
    if (!target) {
      target = new Map()
      into.set(view, target)
    }
    for (const key of viewKeys) {
      const row = source.get(key)
      if (row && replaces(row, target.get(key))) target.set(key, row)
    }
  }
}

/** The snapshot file's bytes and sha256; undefined when there is no file yet. */
const readSnapshotFile = async (
  path: string,
): Promise<{ bytes: Buffer; digest: string } | undefined> => {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new AppError('UNAVAILABLE', `online snapshot ${path} cannot be read: ${e}`, {
      field: 'online_store.path',
      cause: e,
    })
  }
  return { bytes, digest: sha256(bytes) }
}

/** The stored rows per view of a snapshot file (`readSnapshotFile`); empty for no file. */
const parseSnapshotFile = (file: { bytes: Buffer } | undefined, path: string): StoredViews => {
  const views: StoredViews = new Map()
  if (file === undefined) return views
  const snapshot = parseSnapshot(file.bytes.toString('utf8'), path)
  for (const [view, rows] of Object.entries(snapshot.views)) {
    const byKey = new Map<string, StoredRow>()
    for (const [key, { [EVENT_TS_FIELD]: eventTs, ...values }] of Object.entries(rows)) {
      const eventTsMs = Date.parse(eventTs ?? '')
      if (eventTs === undefined || Number.isNaN(eventTsMs)) {
        throw corrupt(path, `views.${view}.${key}._ts`)
      }
      byKey.set(key, { eventTsMs, eventTs, values })
    }
    views.set(view, byKey)
  }
  return views
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

/**
 * Runs `work` holding the snapshot's lock (proper-lockfile: a `.lock` folder beside the file,
 * stale after 30 s should a holder crash), waiting for another writer's flush a little longer
 * than that (~40 s), so a crashed holder's lock is taken over rather than reported.
 */
const withSnapshotLock = async (path: string, work: () => Promise<void>): Promise<void> => {
  await mkdir(dirname(path), { recursive: true })
  let release: () => Promise<void>
  try {
    // Longer than a crashed holder's lock lasts: it is taken over rather than reported.
    release = await lockAcrossProcesses(path, STALE_MS + 10_000, false)
  } catch (e) {
    throw new AppError(
      'UNAVAILABLE',
      `online snapshot ${path} stayed locked by another ward process (${(e as Error).message}); run the command again`,
      { field: 'online_store.path', cause: e },
    )
  }
  try {
    await work()
  } finally {
    await release()
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

/**
 * Temp file in the same folder, fsync, then rename: readers see the old or the new file, whole.
 * Returns the sha256 of the bytes written.
 */
const writeAtomically = async (path: string, text: string): Promise<string> => {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  const bytes = Buffer.from(text, 'utf8')
  try {
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
    return sha256(bytes)
  } catch (e) {
    await rm(tmp, { force: true })
    throw new AppError('UNAVAILABLE', `online snapshot ${path} cannot be written: ${e}`, {
      field: 'online_store.path',
      cause: e,
    })
  }
}
