import { type RawBuilder, sql } from 'kysely'
import { AppError } from '../core/errors.js'
import { columnArrays, copyLine } from './copy-text.js'
import type { FeatureRow } from './offline-store.js'
import type { Session } from './session.js'
import { KEY_COLUMNS, type ViewTable } from './view-tables.js'

/**
 * Buffers typed rows of several views and stores them in the session's transaction; a row equal
 * in (entity_key, event_ts, created_ts) to a stored one, or to an earlier row of the same batch,
 * is skipped, so re-ingesting a file adds nothing.
 *
 * Each flush loads a batch into an unindexed temp staging table per view (COPY on Postgres,
 * `unnest` of column arrays on PGlite), then moves it with one INSERT … SELECT DISTINCT ON … WHERE
 * NOT EXISTS per view: about twice as fast as ON CONFLICT DO NOTHING (no speculative insertion).
 * The anti-join is exact because the view tables are locked against other writers (readers are
 * not blocked) for the rest of the transaction. On Postgres a flush runs while the caller keeps
 * parsing, so Node and the server work in parallel; only one flush is in flight at a time.
 */
export interface RowWriter {
  /** Buffers one row of `view` (must be one of the writer's tables). */
  add(view: string, row: FeatureRow): void
  /** Starts writing the buffers out when they are large (waits for the previous flush first). */
  flushIfFull(): Promise<void>
  /** Writes everything; returns the rows newly stored per view. */
  finish(): Promise<Map<string, number>>
}

const COPY_FLUSH_BYTES = 4 << 20
const INSERT_FLUSH_ROWS = 20_000
const LINES_PER_CHUNK = 500

interface Buffer {
  table: ViewTable
  stage: string
  lines: string[]
  rows: FeatureRow[]
  stored: number
}

/** Opens a writer for `tables` in session `s`: locks them and creates their staging tables. */
export const openRowWriter = async (
  s: Session,
  tables: readonly ViewTable[],
): Promise<RowWriter> => {
  const buffers = new Map<string, Buffer>()
  for (const table of tables) {
    buffers.set(table.view, {
      table,
      stage: `stage_${table.table}`,
      lines: [],
      rows: [],
      stored: 0,
    })
  }
  for (const b of buffers.values()) {
    // SHARE ROW EXCLUSIVE: conflicts with other writers and itself, not with readers.
    await sql`lock table ${sql.id(b.table.table)} in share row exclusive mode`.execute(s.tx)
    await sql`create temp table ${sql.id(b.stage)} (like ${sql.id(b.table.table)}) on commit drop`.execute(
      s.tx,
    )
  }
  const { copyIn } = s
  let size = 0
  let pending: Promise<void> | undefined

  const flushBatch = async (
    batch: { b: Buffer; lines: string[]; rows: FeatureRow[] }[],
  ): Promise<void> => {
    for (const { b, lines, rows } of batch) {
      if (copyIn)
        await copyIn(
          sql`copy ${sql.id(b.stage)} (${columnList(b.table)}) from stdin`,
          chunked(lines),
        )
      else await insertUnnest(s, b, rows)
      b.stored += await moveStage(s, b)
    }
  }

  const startFlush = async (): Promise<void> => {
    if (pending) await pending
    const batch = [...buffers.values()]
      .filter((b) => b.lines.length || b.rows.length)
      .map((b) => ({ b, lines: b.lines, rows: b.rows }))
    for (const b of buffers.values()) {
      b.lines = []
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
        b.lines.push(line)
        size += line.length
      } else {
        b.rows.push(row)
        size += 1
      }
    },
    async flushIfFull() {
      if (size >= (copyIn ? COPY_FLUSH_BYTES : INSERT_FLUSH_ROWS)) await startFlush()
    },
    async finish() {
      await startFlush()
      await pending
      return new Map([...buffers.values()].map((b) => [b.table.view, b.stored]))
    },
  }
}

const columnList = (table: ViewTable): RawBuilder<unknown> =>
  sql.join([...KEY_COLUMNS, ...table.fields.map((f) => f.name)].map((c) => sql.id(c)))

/** Staging → view table, skipping stored keys and repeated keys (the first in the file wins). */
const moveStage = async (s: Session, b: Buffer): Promise<number> => {
  const cols = columnList(b.table)
  const result = await sql`insert into ${sql.id(b.table.table)} (${cols})
    select distinct on (s.entity_key, s.event_ts, s.created_ts) ${cols} from ${sql.id(b.stage)} as s
    where not exists (
      select 1 from ${sql.id(b.table.table)} as t
      where t.entity_key = s.entity_key and t.event_ts = s.event_ts and t.created_ts = s.created_ts
    )
    order by s.entity_key, s.event_ts, s.created_ts, s.ctid`.execute(s.tx)
  await sql`truncate ${sql.id(b.stage)}`.execute(s.tx)
  return Number(result.numAffectedRows ?? 0n)
}

function* chunked(lines: readonly string[]): Generator<string> {
  for (let i = 0; i < lines.length; i += LINES_PER_CHUNK)
    yield lines.slice(i, i + LINES_PER_CHUNK).join('')
}

const insertUnnest = async (s: Session, b: Buffer, rows: readonly FeatureRow[]): Promise<void> => {
  const arrays = columnArrays(b.table, rows)
  const types = ['text', 'timestamptz', 'timestamptz', ...b.table.fields.map((f) => f.sqlType)]
  // Types come from the fixed SQL_TYPE table, never from user input.
  const typed = arrays.map((a, i) => sql`${a}::${sql.raw(types[i] ?? 'text')}[]`)
  await sql`insert into ${sql.id(b.stage)} (${columnList(b.table)}) select * from unnest(${sql.join(typed)})`.execute(
    s.tx,
  )
}
