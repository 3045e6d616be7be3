import { finished } from 'node:stream/promises'
import {
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type RawBuilder,
  type Transaction,
} from 'kysely'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import type { Db } from '../db/connect.js'
import type { Database } from '../db/schema.js'

/**
 * One transaction on one connection. Temp tables live on a connection, and COPY needs the raw
 * pg client, so the offline store runs multi-statement work through this instead of the pool.
 */
export interface Session {
  /** Kysely bound to the transaction: every query runs on the session's connection. */
  readonly tx: Transaction<Database>
  /**
   * Postgres only: runs `COPY … FROM STDIN` on the session's connection and feeds it `chunks`
   * of COPY text; resolves with the rows copied. Undefined on PGlite (it uses multi-row inserts).
   */
  readonly copyIn:
    | ((statement: RawBuilder<unknown>, chunks: Iterable<string | Uint8Array>) => Promise<number>)
    | undefined
}

/**
 * Runs `work` in one transaction on one connection: commits when it resolves, rolls back when it
 * throws (the error is rethrown unchanged).
 */
export const inSession = async <T>(db: Db, work: (s: Session) => Promise<T>): Promise<T> => {
  if (!db.pool) return db.kysely.transaction().execute((tx) => work({ tx, copyIn: undefined }))
  const client = await db.pool.connect()
  let failed = false
  // A Kysely over this one client; `release` is a no-op so the client stays ours until `finally`.
  const single = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: singleClientPool(client) }),
  })
  try {
    return await single.transaction().execute((tx) =>
      work({
        tx,
        copyIn: (statement, chunks) => copyInto(client, statement.compile(tx).sql, chunks),
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
  // The chunks are in memory already: hand them all to the socket now (no backpressure wait), so
  // the transfer goes on while the caller's loop is busy instead of one chunk per turn of it.
  for (const chunk of chunks) stream.write(chunk)
  stream.end()
  await finished(stream)
  return stream.rowCount
}
