import { type RawBuilder, sql } from 'kysely'
import { AppError } from '../core/errors.js'
import type { Db } from '../db/connect.js'
import { copyLine } from './copy-text.js'
import type { FeatureRow } from './offline-store.js'
import { inSession, type Session } from './session.js'
import { KEY_COLUMNS, primaryKeyName, type ViewTable } from './view-tables.js'

/**
 * Buffers typed rows of several views as COPY text and stores them in the session's transaction
 * (PGlite and Postgres alike); a row equal in (entity_key, event_ts, created_ts) to a stored one,
 * or to an earlier row of the same batch, is skipped (the first in the file wins), so
 * re-ingesting a file adds nothing.
 *
 * A view table that held no rows when locked is loaded the way Postgres's manual advises for a
 * first load: its primary key is dropped, rows are COPYed straight in, and the key is built
 * once at the end (one sort instead of a random index insert per row: diabetic_data.csv's typed
 * rows took Postgres ~35% less time). Should the file repeat a key, building it fails; the writer
 * then deletes every repeat but the first in the file and builds it again. Meanwhile the table
 * is locked against readers too (they would find it empty anyway, and wait for the load to
 * commit instead), which the writer does only if no one holds a lock on it already.
 *
 * Otherwise, and for a view that held rows, rows go to an unindexed temp staging table, which one
 * INSERT … SELECT DISTINCT ON … WHERE NOT EXISTS moves at the end (one anti-join per view, not
 * per batch); the view table is locked against other writers only (readers are not blocked),
 * which keeps the anti-join exact. On Postgres a flush runs while the caller keeps parsing, so
 * Node and the server work in parallel; only one flush is in flight at a time, and the next
 * starts as soon as it has finished.
 */
export interface RowWriter {
  /** Buffers one row of `view` (must be one of the writer's tables). */
  add(view: string, row: FeatureRow): void
  /** Buffers one row of `view` already encoded as a COPY text line (`copy-encoder.ts`). */
  addLine(view: string, line: string): void
  /**
   * Starts writing the buffers out when the previous flush has finished and enough is buffered,
   * or waits for it first when the buffers are full.
   */
  flushIfFull(): Promise<void>
  /** Writes everything; returns the rows newly stored per view. */
  finish(): Promise<Map<string, number>>
  /** After `finish`: the tables that were empty and now hold rows (see `analyzeKeyColumns`). */
  firstLoads(): ViewTable[]
  /**
   * After `finish`, per view: skipped rows whose field values differ from the row kept for their
   * key (stored before, or earlier in the file). A re-ingest of the same file has none; a
   * corrected file with unchanged times has one per corrected row, and nothing of it is stored.
   */
  conflicts(): Map<string, number>
}

/**
 * When to write buffered rows out. A flush starts as soon as the previous one has finished and
 * at least MIN_FLUSH_BYTES are buffered, so the server works while Node parses instead of
 * waiting for a large batch and leaving most of the file for the end; when the server is
 * slower than Node, batches grow by themselves, up to COPY_FLUSH_BYTES, where the caller waits
 * (bounded memory). Measured on diabetic_data.csv (2 cores, 6 alternating pairs of runs): ~15%
 * less time than always waiting for 16 MiB; 128 KiB to 2 MiB minimums ran alike.
 */
const MIN_FLUSH_BYTES = 1 << 20
const COPY_FLUSH_BYTES = 16 << 20
/** Characters per COPY chunk: large enough for few writes, small enough to die young. */
const CHUNK_CHARS = 64 << 10

interface ViewBuffer {
  table: ViewTable
  /**
   * The view table held no rows when the writer locked it: rows go straight into it, its key
   * dropped until `finish`. Otherwise they go to a staging table, moved in at the end.
   */
  wasEmpty: boolean
  /** Where rows are COPYed: the view table, or its staging table. */
  target: string
  /** Skipped rows whose values differ from the kept row of their key (`finish`). */
  conflicting: number
  /** Encoded lines not yet in `chunks`. */
  text: string
  /** Chunks ready for COPY; bytes outside the JS heap, so the GC does not copy them. */
  chunks: Uint8Array[]
  /** Rows COPYed so far (into the view table or its staging table). */
  copied: number
  /** Rows newly in the view table, known after `finish`. */
  stored: number
}

/**
 * Opens a writer for `tables` in session `s`: locks them, readies the empty ones for a first load
 * and creates the others' staging tables.
 */
export const openRowWriter = async (
  s: Session,
  tables: readonly ViewTable[],
  /** Tests only: smaller flush sizes, to reach the paths big files take. */
  options: { flushBytes?: number; minFlushBytes?: number } = {},
): Promise<RowWriter> => {
  const flushBytes = options.flushBytes ?? COPY_FLUSH_BYTES
  // Early flushes only pay where the server works alongside; on PGlite they are just more COPYs.
  const minFlushBytes =
    options.minFlushBytes ?? (s.serverRunsAlongside ? MIN_FLUSH_BYTES : flushBytes)
  const buffers = new Map<string, ViewBuffer>()
  for (const table of tables) {
    // SHARE ROW EXCLUSIVE: conflicts with other writers and itself, not with readers.
    await sql`lock table ${sql.id(table.table)} in share row exclusive mode`.execute(s.tx)
    const wasEmpty = (await isEmpty(s, table)) && (await lockOutReaders(s, table))
    const b: ViewBuffer = {
      table,
      wasEmpty,
      target: wasEmpty ? await readyForFirstLoad(s, table) : await stage(s, table),
      conflicting: 0,
      text: '',
      chunks: [],
      copied: 0,
      stored: 0,
    }
    buffers.set(table.view, b)
  }
  let size = 0
  let pending: Promise<void> | undefined
  /** A flush is on its way to the server. */
  let busy = false

  const flushBatch = async (batch: { b: ViewBuffer; chunks: Uint8Array[] }[]): Promise<void> => {
    for (const { b, chunks } of batch) {
      b.copied += await s.copyIn(sql`${sql.id(b.target)} (${columnList(b.table)})`, chunks)
    }
  }

  const startFlush = async (): Promise<void> => {
    if (pending) await pending
    for (const b of buffers.values()) sealText(b)
    const batch = [...buffers.values()]
      .filter((b) => b.chunks.length)
      .map((b) => ({ b, chunks: b.chunks }))
    for (const b of buffers.values()) b.chunks = []
    size = 0
    busy = true
    const p = flushBatch(batch).finally(() => {
      busy = false
    })
    // Awaited by the next flush or by finish; this only keeps an early failure from going unhandled.
    p.catch(() => {})
    pending = p
  }

  const bufferOf = (view: string): ViewBuffer => {
    const b = buffers.get(view)
    if (!b) throw new AppError('INTERNAL', `row for view ${view}, which this writer does not store`)
    return b
  }

  return {
    add(view, row) {
      const b = bufferOf(view)
      const line = copyLine(b.table, row)
      appendLine(b, line)
      size += line.length
    },
    addLine(view, line) {
      appendLine(bufferOf(view), line)
      size += line.length
    },
    async flushIfFull() {
      if (size >= flushBytes || (!busy && size >= minFlushBytes)) await startFlush()
    },
    async finish() {
      await startFlush()
      await pending
      for (const b of buffers.values()) {
        const { stored, conflicting } = b.wasEmpty
          ? await restoreKey(s, b.table, b.copied)
          : await moveStage(s, b, b.copied)
        b.stored = stored
        b.conflicting = conflicting
      }
      return new Map([...buffers.values()].map((b) => [b.table.view, b.stored]))
    },
    firstLoads: () =>
      [...buffers.values()].filter((b) => b.wasEmpty && b.stored > 0).map((b) => b.table),
    conflicts: () => new Map([...buffers.values()].map((b) => [b.table.view, b.conflicting])),
  }
}

/**
 * Statistics for the key columns of `tables`, as Postgres advises after a bulk load; for the
 * tables a writer reports as `firstLoads()`, run after its transaction committed (ANALYZE writes
 * a table's size in place, which a rollback would not undo). A table never analyzed looks tiny
 * to the planner: `latestRows` then read and sorted the whole table for every page
 * (diabetic_data.csv: ~120 ms a page) until autovacuum came by. Key columns only, from a small
 * sample (what the store's queries filter and sort on): ~80 ms for diabetic_data.csv's two
 * tables. Later loads are left to autovacuum, which analyzes a table once a tenth of it changed;
 * meanwhile the planner scales the old statistics to the table's current size.
 */
export const analyzeKeyColumns = async (db: Db, tables: readonly ViewTable[]): Promise<void> => {
  if (tables.length === 0) return
  await inSession(db, async (s) => {
    await sql`set local default_statistics_target = 10`.execute(s.tx)
    for (const t of tables) {
      await sql`analyze ${sql.id(t.table)} (${sql.join(KEY_COLUMNS.map((c) => sql.id(c)))})`.execute(
        s.tx,
      )
    }
  })
}

/** Creates the view's staging table (dropped at commit); returns its name. */
const stage = async (s: Session, table: ViewTable): Promise<string> => {
  const name = `stage_${table.table}`
  await sql`create temp table ${sql.id(name)} (like ${sql.id(table.table)}) on commit drop`.execute(
    s.tx,
  )
  return name
}

const LOCK_NOT_AVAILABLE = '55P03'

/**
 * Takes ACCESS EXCLUSIVE on a table only if no one holds a lock on it now; false if someone does
 * (then the table is loaded through staging, as if it held rows). Never waiting matters: readers
 * lock the views of one request in their own order, so a writer that waited for one table while
 * keeping another from readers could deadlock with them, and lose its whole load.
 */
const lockOutReaders = async (s: Session, table: ViewTable): Promise<boolean> => {
  await sql`savepoint ward_lock`.execute(s.tx)
  let locked = true
  try {
    await sql`lock table ${sql.id(table.table)} in access exclusive mode nowait`.execute(s.tx)
  } catch (e) {
    if ((e as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw e
    await sql`rollback to savepoint ward_lock`.execute(s.tx)
    locked = false
  }
  await sql`release savepoint ward_lock`.execute(s.tx)
  return locked
}

/**
 * Readies a view table with no rows for a first load; returns its name. Its primary key is
 * dropped (`restoreKey` builds it again). It is also truncated: dead rows of an earlier failed
 * load would leave free space that new rows fill first, and `restoreKey` relies on the rows
 * lying in insertion order. (TRUNCATE would hide rows that other, older snapshots still see as
 * live only if someone had deleted them; Ward never deletes from a view table.) The caller holds
 * the table's ACCESS EXCLUSIVE lock (`lockOutReaders`) until the transaction ends.
 */
const readyForFirstLoad = async (s: Session, table: ViewTable): Promise<string> => {
  await sql`truncate ${sql.id(table.table)}`.execute(s.tx)
  await sql`alter table ${sql.id(table.table)} drop constraint ${sql.id(primaryKeyName(table))}`.execute(
    s.tx,
  )
  return table.table
}

const UNIQUE_VIOLATION = '23505'

/** What moving a view's loaded rows into place found: rows kept, and conflicting rows skipped. */
interface Outcome {
  stored: number
  conflicting: number
}

/**
 * Builds the primary key `readyForFirstLoad` dropped, over the `copied` rows. When the load
 * repeated a key, deletes each repeat but the first in the file (the rows of a load into a
 * truncated table lie in insertion order), counting those whose values differ from the first,
 * and builds it again.
 */
const restoreKey = async (s: Session, table: ViewTable, copied: number): Promise<Outcome> => {
  const addKey = sql`alter table ${sql.id(table.table)} add constraint ${sql.id(
    primaryKeyName(table),
  )} primary key (${sql.join(KEY_COLUMNS.map((c) => sql.id(c)))})`
  await sql`savepoint ward_key`.execute(s.tx)
  try {
    await addKey.execute(s.tx)
    await sql`release savepoint ward_key`.execute(s.tx)
    return { stored: copied, conflicting: 0 }
  } catch (e) {
    if ((e as { code?: unknown }).code !== UNIQUE_VIOLATION) throw e
    await sql`rollback to savepoint ward_key`.execute(s.tx)
    await sql`release savepoint ward_key`.execute(s.tx)
  }
  // The main query sees the table as it was before the delete: the kept rows are those not gone.
  const { rows } = await sql<{ deleted: string; conflicting: string }>`
    with gone as (
      delete from ${sql.id(table.table)} where ctid in (
        select ctid from (
          select ctid, row_number() over (
            partition by entity_key, event_ts, created_ts order by ctid) as nth
          from ${sql.id(table.table)}) as numbered
        where nth > 1)
      returning ctid as gone_ctid, *)
    select
      (select count(*) from gone) as deleted,
      (select count(*) from gone as g join ${sql.id(table.table)} as k on ${sameKey('g', 'k')}
        where k.ctid not in (select gone_ctid from gone) and ${differ(table, 'g', 'k')}
      ) as conflicting`.execute(s.tx)
  await addKey.execute(s.tx)
  return {
    stored: copied - Number(rows[0]?.deleted ?? 0),
    conflicting: Number(rows[0]?.conflicting ?? 0),
  }
}

/** SQL: rows `a` and `b` have the same (entity_key, event_ts, created_ts). */
const sameKey = (a: string, b: string): RawBuilder<unknown> =>
  sql.join(
    KEY_COLUMNS.map((c) => sql`${sql.ref(`${a}.${c}`)} = ${sql.ref(`${b}.${c}`)}`),
    sql` and `,
  )

/** SQL: rows `a` and `b` differ in some field (nulls compare as values). */
const differ = (table: ViewTable, a: string, b: string): RawBuilder<unknown> =>
  table.fields.length === 0
    ? sql`false`
    : sql`(${sql.join(table.fields.map((f) => sql.ref(`${a}.${f.name}`)))}) is distinct from (${sql.join(
        table.fields.map((f) => sql.ref(`${b}.${f.name}`)),
      )})`

const isEmpty = async (s: Session, table: ViewTable): Promise<boolean> => {
  const result = await sql<{ empty: boolean }>`select not exists (select 1 from ${sql.id(
    table.table,
  )}) as empty`.execute(s.tx)
  return result.rows[0]?.empty === true
}

const columnList = (table: ViewTable): RawBuilder<unknown> =>
  sql.join([...KEY_COLUMNS, ...table.fields.map((f) => f.name)].map((c) => sql.id(c)))

/**
 * Staging → view table (`staged` rows), skipping stored keys and repeated keys (the first in the
 * file wins); then, if any row was skipped, counts the staged rows that differ from the row now
 * stored under their key. That second join is only paid when something was skipped (~0.3 s on a
 * re-ingest of diabetic_data.csv): a file of new rows costs nothing more.
 */
const moveStage = async (s: Session, b: ViewBuffer, staged: number): Promise<Outcome> => {
  const cols = columnList(b.table)
  const result = await sql`insert into ${sql.id(b.table.table)} (${cols})
    select distinct on (s.entity_key, s.event_ts, s.created_ts) ${cols} from ${sql.id(b.target)} as s
    where not exists (select 1 from ${sql.id(b.table.table)} as t where ${sameKey('t', 's')})
    order by s.entity_key, s.event_ts, s.created_ts, s.ctid`.execute(s.tx)
  const stored = Number(result.numAffectedRows ?? 0n)
  let conflicting = 0
  if (stored < staged) {
    // Every staged key is now in the table, under the row that won; the winner itself is equal.
    const { rows } = await sql<{ conflicting: string }>`select count(*) as conflicting
      from ${sql.id(b.target)} as s join ${sql.id(b.table.table)} as t on ${sameKey('s', 't')}
      where ${differ(b.table, 's', 't')}`.execute(s.tx)
    conflicting = Number(rows[0]?.conflicting ?? 0)
  }
  await sql`truncate ${sql.id(b.target)}`.execute(s.tx)
  return { stored, conflicting }
}

const appendLine = (b: ViewBuffer, line: string): void => {
  b.text += line
  if (b.text.length >= CHUNK_CHARS) sealText(b)
}

/** Moves the buffered text into a chunk (UTF-8 bytes, as COPY wants them). */
const sealText = (b: ViewBuffer): void => {
  if (b.text === '') return
  b.chunks.push(Buffer.from(b.text, 'utf8'))
  b.text = ''
}
