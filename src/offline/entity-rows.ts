import { sql } from 'kysely'
import { AppError } from '../core/errors.js'
import type { EntityRow } from './offline-store.js'
import { ENTITY_TABLE } from './pit-query.js'
import type { Session } from './session.js'

const INSERT_CHUNK = 20_000
const COPY_CHUNK = 2_000

/**
 * Loads entity rows into the session's temp table `pit_entity_rows (ord, entity_key, event_ts)`,
 * dropped at commit. `ord` is the input position, so the join can return every input row, in
 * order, duplicates included. COPY on Postgres, `unnest` inserts on PGlite.
 */
export const loadEntityRows = async (s: Session, rows: readonly EntityRow[]): Promise<void> => {
  await sql`create temp table ${sql.id(ENTITY_TABLE)} (
    ord integer not null, entity_key text not null, event_ts timestamptz not null
  ) on commit drop`.execute(s.tx)
  const times = rows.map((r, i) => {
    const ms = r.eventTs.getTime()
    if (Number.isNaN(ms)) {
      throw new AppError('VALIDATION', `entity row ${i + 1}: invalid event timestamp`, {
        field: 'event_timestamp',
      })
    }
    return r.eventTs.toISOString()
  })
  if (s.copyIn) {
    await s.copyIn(
      sql`copy ${sql.id(ENTITY_TABLE)} (ord, entity_key, event_ts) from stdin`,
      copyChunks(rows, times),
    )
  } else {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const part = rows.slice(i, i + INSERT_CHUNK)
      const ords = part.map((_, j) => i + j)
      const keys = part.map((r) => r.entityKey)
      await sql`insert into ${sql.id(ENTITY_TABLE)} (ord, entity_key, event_ts)
        select * from unnest(${ords}::integer[], ${keys}::text[], ${times.slice(i, i + INSERT_CHUNK)}::timestamptz[])`.execute(
        s.tx,
      )
    }
  }
  // Without statistics the planner guesses the temp table's size; a real count keeps the
  // per-row index probes (nested loop) it should pick for the LATERAL joins.
  await sql`analyze ${sql.id(ENTITY_TABLE)}`.execute(s.tx)
}

function* copyChunks(rows: readonly EntityRow[], times: readonly string[]): Generator<string> {
  let chunk = ''
  for (let i = 0; i < rows.length; i++) {
    chunk += `${i}\t${escapeKey((rows[i] as EntityRow).entityKey)}\t${times[i]}\n`
    if ((i + 1) % COPY_CHUNK === 0) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk) yield chunk
}

const escapeKey = (s: string): string => s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c)
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
