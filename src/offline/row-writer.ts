import { type RawBuilder, sql } from 'kysely'
import { AppError } from '../core/errors.js'
import { columnArrays, copyLine } from './copy-text.js'
import type { FeatureRow } from './offline-store.js'
import type { Session } from './session.js'
import { KEY_COLUMNS, type ViewTable } from './view-tables.js'

/**
 * Buffers typed rows of several views and stores them in the session's transaction; a row equal
 * in (entity_key, event_ts, created_ts) to a stored one, or to an earlier row of the same batch,
 * is skipped (the first in the file wins), so re-ingesting a file adds nothing.
 *
 * Postgres: each view's rows are COPYed straight into its table when the table held no rows when
 * locked (the cheapest load there is), each COPY inside a savepoint: a repeated key in the file
 * makes the primary key refuse that COPY, and then the writer rolls back to the savepoint and
 * switches the view to an unindexed temp staging table, which one INSERT … SELECT DISTINCT ON …
 * WHERE NOT EXISTS moves at the end (one anti-join per view, not per batch). A view that held rows
 * is staged from the start. Repeats are rare, so Node keeps no set of keys. PGlite: each batch
 * goes through a staging table by `unnest` of column arrays and the same move. The anti-joins are
 * exact because the view tables are locked against other writers (readers are not blocked) for
 * the rest of the transaction. On Postgres a flush runs while the caller keeps parsing, so Node
 * and the server work in parallel; only one flush is in flight at a time.
 */
export interface RowWriter {
  /** Buffers one row of `view` (must be one of the writer's tables). */
  add(view: string, row: FeatureRow): void
  /** Postgres only: buffers one row of `view` already encoded as a COPY text line. */
  addLine(view: string, line: string): void
  /** True when the writer takes COPY lines (`addLine`); false on PGlite. */
  readonly takesLines: boolean
  /** Starts writing the buffers out when they are large (waits for the previous flush first). */
  flushIfFull(): Promise<void>
  /** Writes everything; returns the rows newly stored per view. */
  finish(): Promise<Map<string, number>>
}

/**
 * COPY text buffered before a flush. Measured on diabetic_data.csv (2 cores): 8–16 MiB ran 15–25%
 * faster than 2–4 MiB, with less Node CPU: fewer, larger COPY statements.
 */
const COPY_FLUSH_BYTES = 16 << 20
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
  stored: number
}

/** Opens a writer for `tables` in session `s`: locks them and creates their staging tables. */
export const openRowWriter = async (
  s: Session,
  tables: readonly ViewTable[],
  /** Tests only: a smaller flush size, to reach the paths big files take. */
  options: { flushBytes?: number } = {},
): Promise<RowWriter> => {
  const flushBytes = options.flushBytes ?? COPY_FLUSH_BYTES
  const { copyIn } = s
  const buffers = new Map<string, ViewBuffer>()
  for (const table of tables) {
    // SHARE ROW EXCLUSIVE: conflicts with other writers and itself, not with readers.
    await sql`lock table ${sql.id(table.table)} in share row exclusive mode`.execute(s.tx)
    const b: ViewBuffer = {
      table,
      target: table.table,
      staged: false,
      text: '',
      chunks: [],
      rows: [],
      stored: 0,
    }
    if (!(copyIn !== undefined && (await isEmpty(s, table)))) await stage(s, b)
    buffers.set(table.view, b)
  }
  let size = 0
  let pending: Promise<void> | undefined

  const flushBatch = async (
    batch: { b: ViewBuffer; chunks: Uint8Array[]; rows: FeatureRow[] }[],
  ): Promise<void> => {
    for (const { b, chunks, rows } of batch) {
      if (copyIn) {
        const copy = () =>
          copyIn(sql`copy ${sql.id(b.target)} (${columnList(b.table)}) from stdin`, chunks)
        if (b.staged) await copy()
        else {
          const copied = await refusedAsRepeat(s, copy)
          if (copied !== undefined) b.stored += copied
          else {
            await stage(s, b)
            await copy()
          }
        }
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
        const line = copyLine(b.table, row)
        appendLine(b, line)
        size += line.length
      } else {
        b.rows.push(row)
        size += 1
      }
    },
    takesLines: copyIn !== undefined,
    addLine(view, line) {
      const b = buffers.get(view)
      if (!b || !copyIn)
        throw new AppError('INTERNAL', `COPY line for view ${view}, which this writer cannot take`)
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
        for (const b of buffers.values()) if (b.staged) b.stored += await moveStage(s, b)
      }
      return new Map([...buffers.values()].map((b) => [b.table.view, b.stored]))
    },
  }
}

/** From now on the view's rows go to a temp staging table, moved into the view table at the end. */
const stage = async (s: Session, b: ViewBuffer): Promise<void> => {
  const name = `stage_${b.table.table}`
  await sql`create temp table ${sql.id(name)} (like ${sql.id(b.table.table)}) on commit drop`.execute(
    s.tx,
  )
  b.target = name
  b.staged = true
}

const UNIQUE_VIOLATION = '23505'

/**
 * Runs a COPY into a view table inside a savepoint: its row count, or undefined when the primary
 * key refused a repeated key (the savepoint is rolled back, the transaction stays usable).
 */
const refusedAsRepeat = async (
  s: Session,
  copy: () => Promise<number>,
): Promise<number | undefined> => {
  await sql`savepoint ward_copy`.execute(s.tx)
  try {
    const copied = await copy()
    await sql`release savepoint ward_copy`.execute(s.tx)
    return copied
  } catch (e) {
    if ((e as { code?: unknown }).code !== UNIQUE_VIOLATION) throw e
    await sql`rollback to savepoint ward_copy`.execute(s.tx)
    return undefined
  }
}

const isEmpty = async (s: Session, table: ViewTable): Promise<boolean> => {
  const result = await sql<{ empty: boolean }>`select not exists (select 1 from ${sql.id(
    table.table,
  )}) as empty`.execute(s.tx)
  return result.rows[0]?.empty === true
}

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
