import { type RawBuilder, sql } from 'kysely'
import { AppError } from '../core/errors.js'
import { columnArrays, copyLine } from './copy-text.js'
import type { FeatureRow } from './offline-store.js'
import type { Session } from './session.js'
import { KEY_COLUMNS, NO_CREATED_TS, type ViewTable } from './view-tables.js'

/**
 * Buffers typed rows of several views and stores them in the session's transaction; a row equal
 * in (entity_key, event_ts, created_ts) to a stored one, or to an earlier row of the same batch,
 * is skipped, so re-ingesting a file adds nothing.
 *
 * Postgres: repeated keys are dropped in Node (the first wins), then each view's rows are COPYed
 * straight into its table when the table held no rows when locked (nothing stored can clash, so
 * no staging is needed: the cheapest load there is), else into an unindexed temp staging table
 * that one INSERT … SELECT … WHERE NOT EXISTS moves at the end (one anti-join per view, not per
 * batch); past 2M keys of a view its later rows are staged and repeats dropped in SQL. PGlite:
 * each batch goes through a staging table by `unnest` of column arrays and an INSERT … SELECT
 * DISTINCT ON … WHERE NOT EXISTS. The anti-joins are exact because the view
 * tables are locked against other writers (readers are not blocked) for the rest of the
 * transaction. On Postgres a flush runs while the caller keeps parsing, so Node and the server
 * work in parallel; only one flush is in flight at a time.
 */
export interface RowWriter {
  /** Buffers one row of `view` (must be one of the writer's tables). */
  add(view: string, row: FeatureRow): void
  /**
   * Postgres only: buffers one row of `view` already encoded as a COPY text line, with its key
   * identity (`copyEncoder` output); a key seen before in this writer is skipped.
   */
  addLine(view: string, key: string, line: string): void
  /** True when the writer takes COPY lines (`addLine`); false on PGlite. */
  readonly takesLines: boolean
  /** Starts writing the buffers out when they are large (waits for the previous flush first). */
  flushIfFull(): Promise<void>
  /** Writes everything; returns the rows newly stored per view. */
  finish(): Promise<Map<string, number>>
}

const COPY_FLUSH_BYTES = 4 << 20
/** Keys per view remembered to drop repeats in Node (a JS Set holds at most 2^24). */
const KEYS_IN_MEMORY = 2_000_000
const INSERT_FLUSH_ROWS = 20_000
/** Characters per COPY chunk: large enough for few writes, small enough to die young. */
const CHUNK_CHARS = 64 << 10

interface ViewBuffer {
  table: ViewTable
  /** Where rows are loaded: the view table itself (COPY into an empty table) or a staging table. */
  target: string
  /** True when `target` is a staging table that still has to be moved into the view table. */
  staged: boolean
  /** COPY path: encoded lines not yet in `chunks`. */
  text: string
  /** COPY path: chunks ready for COPY; bytes outside the JS heap, so the GC does not copy them. */
  chunks: Uint8Array[]
  rows: FeatureRow[]
  /**
   * COPY path: the keys of every row written so far, to drop repeats (the first wins); undefined
   * once there were too many to hold, and from then on repeats are dropped in SQL.
   */
  seen: Set<string> | undefined
  stored: number
}

/** Opens a writer for `tables` in session `s`: locks them and creates their staging tables. */
export const openRowWriter = async (
  s: Session,
  tables: readonly ViewTable[],
  /** Tests only: smaller limits, to reach the paths big files take. */
  options: { keysInMemory?: number; flushBytes?: number } = {},
): Promise<RowWriter> => {
  const keysInMemory = options.keysInMemory ?? KEYS_IN_MEMORY
  const flushBytes = options.flushBytes ?? COPY_FLUSH_BYTES
  const { copyIn } = s
  const buffers = new Map<string, ViewBuffer>()
  for (const table of tables) {
    // SHARE ROW EXCLUSIVE: conflicts with other writers and itself, not with readers.
    await sql`lock table ${sql.id(table.table)} in share row exclusive mode`.execute(s.tx)
    const direct = copyIn !== undefined && (await isEmpty(s, table))
    const stage = `stage_${table.table}`
    if (!direct) {
      await sql`create temp table ${sql.id(stage)} (like ${sql.id(table.table)}) on commit drop`.execute(
        s.tx,
      )
    }
    buffers.set(table.view, {
      table,
      target: direct ? table.table : stage,
      staged: !direct,
      text: '',
      chunks: [],
      rows: [],
      seen: new Set(),
      stored: 0,
    })
  }
  let size = 0
  let pending: Promise<void> | undefined
  // The rows of one record (one per view) share their key: build its text once.
  let last: Pick<FeatureRow, 'entityKey' | 'eventTs' | 'createdTs'> = {
    entityKey: '',
    eventTs: new Date(Number.NaN),
    createdTs: null,
  }
  let lastKey = ''

  const flushBatch = async (
    batch: { b: ViewBuffer; chunks: Uint8Array[]; rows: FeatureRow[] }[],
  ): Promise<void> => {
    for (const { b, chunks, rows } of batch) {
      if (copyIn) {
        const copied = await copyIn(
          sql`copy ${sql.id(b.target)} (${columnList(b.table)}) from stdin`,
          chunks,
        )
        if (!b.staged) b.stored += copied
        if (b.seen && b.seen.size >= keysInMemory) await dedupeInSql(s, b)
      } else {
        await insertUnnest(s, b, rows)
        b.stored += await moveStage(s, b)
      }
    }
  }

  const startFlush = async (): Promise<void> => {
    if (pending) await pending
    for (const b of buffers.values()) sealText(b)
    const batch = [...buffers.values()]
      .filter((b) => b.chunks.length || b.rows.length)
      .map((b) => ({ b, chunks: b.chunks, rows: b.rows }))
    for (const b of buffers.values()) {
      b.chunks = []
      b.rows = []
    }
    size = 0
    const p = flushBatch(batch)
    // Awaited by the next flush or by finish; this only keeps an early failure from going unhandled.
    p.catch(() => {})
    pending = p
  }

  return {
    add(view, row) {
      const b = buffers.get(view)
      if (!b)
        throw new AppError('INTERNAL', `row for view ${view}, which this writer does not store`)
      if (copyIn) {
        // Encoding first: it rejects invalid times before they could form a key.
        const line = copyLine(b.table, row)
        if (
          row.entityKey !== last.entityKey ||
          row.eventTs !== last.eventTs ||
          row.createdTs !== last.createdTs
        ) {
          last = row
          lastKey = rowKey(row)
        }
        if (!isNew(b, lastKey)) return
        appendLine(b, line)
        size += line.length
      } else {
        b.rows.push(row)
        size += 1
      }
    },
    takesLines: copyIn !== undefined,
    addLine(view, key, line) {
      const b = buffers.get(view)
      if (!b || !copyIn)
        throw new AppError('INTERNAL', `COPY line for view ${view}, which this writer cannot take`)
      if (!isNew(b, key)) return
      appendLine(b, line)
      size += line.length
    },
    async flushIfFull() {
      if (size >= (copyIn ? flushBytes : INSERT_FLUSH_ROWS)) await startFlush()
    },
    async finish() {
      await startFlush()
      await pending
      if (copyIn) {
        for (const b of buffers.values()) {
          if (b.staged) b.stored += await (b.seen ? moveDeduped(s, b) : moveStage(s, b))
        }
      }
      return new Map([...buffers.values()].map((b) => [b.table.view, b.stored]))
    },
  }
}

/** Whether `key` is new to the buffer's view (recording it); always true once SQL dedupes. */
const isNew = (b: ViewBuffer, key: string): boolean => {
  if (!b.seen) return true
  if (b.seen.has(key)) return false
  b.seen.add(key)
  return true
}

/**
 * Too many keys to hold: later rows go to a staging table (created now if the view loaded
 * straight into its table) and the final move drops repeats, against the table too.
 */
const dedupeInSql = async (s: Session, b: ViewBuffer): Promise<void> => {
  if (!b.staged) {
    const stage = `stage_${b.table.table}`
    await sql`create temp table ${sql.id(stage)} (like ${sql.id(b.table.table)}) on commit drop`.execute(
      s.tx,
    )
    b.target = stage
    b.staged = true
  }
  b.seen = undefined
}

const isEmpty = async (s: Session, table: ViewTable): Promise<boolean> => {
  const result = await sql<{ empty: boolean }>`select not exists (select 1 from ${sql.id(
    table.table,
  )}) as empty`.execute(s.tx)
  return result.rows[0]?.empty === true
}

/** Primary-key identity of a row (as `copyEncoder` writes it): the instants, then the key. */
const rowKey = (row: FeatureRow): string =>
  `${row.eventTs.toISOString()}\t${row.createdTs ? row.createdTs.toISOString() : NO_CREATED_TS}\t${row.entityKey}`

const columnList = (table: ViewTable): RawBuilder<unknown> =>
  sql.join([...KEY_COLUMNS, ...table.fields.map((f) => f.name)].map((c) => sql.id(c)))

/** Staging → view table, skipping stored keys and repeated keys (the first in the file wins). */
const moveStage = async (s: Session, b: ViewBuffer): Promise<number> => {
  const cols = columnList(b.table)
  const result = await sql`insert into ${sql.id(b.table.table)} (${cols})
    select distinct on (s.entity_key, s.event_ts, s.created_ts) ${cols} from ${sql.id(b.target)} as s
    where not exists (
      select 1 from ${sql.id(b.table.table)} as t
      where t.entity_key = s.entity_key and t.event_ts = s.event_ts and t.created_ts = s.created_ts
    )
    order by s.entity_key, s.event_ts, s.created_ts, s.ctid`.execute(s.tx)
  await sql`truncate ${sql.id(b.target)}`.execute(s.tx)
  return Number(result.numAffectedRows ?? 0n)
}

/** COPY path, at the end: staged rows (already free of repeats) whose key is not stored yet. */
const moveDeduped = async (s: Session, b: ViewBuffer): Promise<number> => {
  const cols = columnList(b.table)
  // Fresh statistics let the planner pick a hash or merge anti-join over the whole batch.
  await sql`analyze ${sql.id(b.target)}`.execute(s.tx)
  const result = await sql`insert into ${sql.id(b.table.table)} (${cols})
    select ${cols} from ${sql.id(b.target)} as s
    where not exists (
      select 1 from ${sql.id(b.table.table)} as t
      where t.entity_key = s.entity_key and t.event_ts = s.event_ts and t.created_ts = s.created_ts
    )`.execute(s.tx)
  return Number(result.numAffectedRows ?? 0n)
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

const insertUnnest = async (
  s: Session,
  b: ViewBuffer,
  rows: readonly FeatureRow[],
): Promise<void> => {
  const arrays = columnArrays(b.table, rows)
  const types = ['text', 'timestamptz', 'timestamptz', ...b.table.fields.map((f) => f.sqlType)]
  // Types come from the fixed SQL_TYPE table, never from user input.
  const typed = arrays.map((a, i) => sql`${a}::${sql.raw(types[i] ?? 'text')}[]`)
  await sql`insert into ${sql.id(b.target)} (${columnList(b.table)}) select * from unnest(${sql.join(typed)})`.execute(
    s.tx,
  )
}
