import { sql } from 'kysely'
import { AppError } from '../core/errors.js'
import { copyText } from './copy-text.js'
import type { EntityRow } from './offline-store.js'
import { ENTITY_TABLE } from './pit-query.js'
import type { Session } from './session.js'

const COPY_CHUNK = 2_000

/**
 * Loads entity rows into the session's temp table `pit_entity_rows (ord, entity_key, event_ts)`,
 * dropped at commit. `ord` is the input position, so the join can return every input row, in
 * order, duplicates included. Loaded by COPY (PGlite and Postgres alike).
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
  await s.copyIn(sql`${sql.id(ENTITY_TABLE)} (ord, entity_key, event_ts)`, copyChunks(rows, times))
  // Without statistics the planner guesses the temp table's size; a real count keeps the
  // per-row index probes (nested loop) it should pick for the LATERAL joins.
  await sql`analyze ${sql.id(ENTITY_TABLE)}`.execute(s.tx)
}

function* copyChunks(rows: readonly EntityRow[], times: readonly string[]): Generator<string> {
  let chunk = ''
  for (let i = 0; i < rows.length; i++) {
    chunk += `${i}\t${copyText((rows[i] as EntityRow).entityKey)}\t${times[i]}\n`
    if ((i + 1) % COPY_CHUNK === 0) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk) yield chunk
}
