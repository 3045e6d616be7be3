import { finished } from 'node:stream/promises'
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite'
import {
  Kysely,
  PGliteDialect,
  PostgresDialect,
  type PostgresPool,
  type RawBuilder,
  sql,
} from 'kysely'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/schema.js'

/**
 * One transaction on one connection. Temp tables live on a connection, and COPY needs the raw
 * driver, so the offline store runs multi-statement work through this instead of the pool.
 */
export interface Session {
  /** Kysely bound to the transaction: every query runs on the session's connection. */
  readonly tx: Kysely<Database>
  /**
   * COPY into `target` (a table and its column list, e.g. sql`t (a, b)`) from `chunks` of COPY
   * text format; resolves with the rows copied. Postgres streams the chunks (`FROM STDIN`);
   * PGlite reads them as one blob (`FROM '/dev/blob'`). Same text, same server code either way.
   */
  copyIn(target: RawBuilder<unknown>, chunks: Iterable<string | Uint8Array>): Promise<number>
  /**
   * Whether the server works while this process goes on (a Postgres server: yes; PGlite runs on
   * this thread, so a COPY and the caller's work take turns).
   */
  readonly serverRunsAlongside: boolean
}

/**
 * Runs `work` in one transaction on one connection: commits when it resolves, rolls back when it
 * throws (the error is rethrown unchanged).
 */
export const inSession = async <T>(db: Db, work: (s: Session) => Promise<T>): Promise<T> =>
  db.kind === 'pglite' ? pgliteSession(db.pglite, work) : postgresSession(db.pool, work)

const postgresSession = async <T>(pool: pg.Pool, work: (s: Session) => Promise<T>): Promise<T> => {
  const client = await pool.connect()
  let failed = false
  // A Kysely over this one client; `release` is a no-op so the client stays ours until `finally`.
  const single = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: singleClientPool(client) }),
  })
  try {
    return await single.transaction().execute((tx) =>
      work({
        tx,
        copyIn: (target, chunks) =>
          copyInto(client, sql`copy ${target} from stdin`.compile(tx).sql, chunks),
        serverRunsAlongside: true,
      }),
    )
  } catch (e) {
    failed = true
    throw e
  } finally {
    await single.destroy()
    // A failed COPY can leave the protocol mid-stream: do not hand that connection back.
    client.release(failed)
  }
}

/**
 * PGlite's own exclusive transaction (it rolls back when `work` throws), with a Kysely over it:
 * Kysely's PGlite dialect takes any object with PGlite's query interface, and the transaction
 * has the `blob` option COPY needs.
 */
const pgliteSession = <T>(pglite: PGlite, work: (s: Session) => Promise<T>): Promise<T> =>
  pglite.transaction(async (t) => {
    const tx = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: overTransaction(t) }) })
    return work({
      tx,
      copyIn: async (target, chunks) => {
        const blob = new Blob([...chunks])
        const text = sql`copy ${target} from '/dev/blob'`.compile(tx).sql
        const result = await t.query(text, [], { blob })
        return result.affectedRows ?? 0
      },
      serverRunsAlongside: false,
    })
  })

/** The transaction as the PGlite Kysely expects it; closing it leaves the database open. */
const overTransaction = (t: PGliteTransaction) => ({
  query: t.query.bind(t),
  closed: false,
  ready: true,
  waitReady: Promise.resolve(),
  close: async () => {},
  transaction: () => {
    throw new Error('a session is one transaction: use savepoints, not nested transactions')
  },
})

const singleClientPool = (client: pg.PoolClient): PostgresPool => ({
  connect: async () => ({
    query: client.query.bind(client) as never,
    release: () => {},
    processID: (client as unknown as { processID?: number }).processID,
  }),
  end: async () => {},
  options: {},
})

const copyInto = async (
  client: pg.PoolClient,
  text: string,
  chunks: Iterable<string | Uint8Array>,
): Promise<number> => {
  const stream = client.query(copyStreams.from(text))
  // pg-copy-streams 7 leaves a socket 'drain' handler behind that dereferences the connection it
  // nulls on a server error: when the server refuses the COPY (e.g. a value it cannot read)
  // while chunks still wait behind a full socket,
  // that handler throws outside any promise and the process dies (brianc/node-pg-copy-streams
  // #171). pg itself never listens for the socket's 'drain', so dropping those handlers on error
  // leaves only the dead COPY's continuations unrun.
  const socket = (client as unknown as { connection?: { stream?: NodeJS.EventEmitter } }).connection
    ?.stream
  stream.once('error', () => socket?.removeAllListeners('drain'))
  // The chunks are in memory already: hand them all to the socket now (no backpressure wait), so
  // the transfer goes on while the caller's loop is busy instead of one chunk per turn of it.
  for (const chunk of chunks) stream.write(chunk)
  stream.end()
  await finished(stream)
  return stream.rowCount
}
