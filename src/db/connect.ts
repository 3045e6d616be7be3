import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { OfflineStoreConfig } from '../config/schema.js'
import { AppError } from '../core/errors.js'
import { lockAcrossProcesses } from '../core/file-lock.js'
import { redactUrl } from '../core/redact.js'
import type { Database } from './schema.js'

/**
 * A Kysely handle plus the driver it runs on: all SQL goes through `kysely`; the driver is only
 * for what Kysely does not carry, a session on one connection with COPY (`offline/session.ts`).
 */
export type Db = DbCommon &
  (
    | { readonly kind: 'pglite'; readonly pglite: PGlite }
    | { readonly kind: 'postgres'; readonly pool: pg.Pool }
  )

interface DbCommon {
  readonly kysely: Kysely<Database>
  /** Where it points, safe to print. */
  readonly target: string
  /**
   * The error to report for `e` when it says the server went away mid-command (UNAVAILABLE,
   * naming the server); undefined for any other error.
   */
  explainFailure(e: unknown): AppError | undefined
  close(): Promise<void>
}

/**
 * The only place a Kysely instance is created: PGlite (Postgres in WASM, the embedded default)
 * or a real Postgres server. Both run the same SQL. Fails with UNAVAILABLE naming the target when
 * the database does not answer.
 */
export const connectDb = async (config: OfflineStoreConfig, dataDir?: string): Promise<Db> => {
  if (config.type === 'pglite') {
    const where = dataDir ?? config.path
    const dir = where === ':memory:' ? undefined : where
    const release = dir === undefined ? async () => {} : await lockDataDir(dir)
    let pglite: PGlite
    try {
      pglite = await openPglite(dir)
    } catch (e) {
      await release()
      throw e
    }
    const kysely = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
    return {
      kysely,
      kind: 'pglite',
      pglite,
      target: `PGlite at ${where}`,
      // In-process: there is no connection to lose.
      explainFailure: () => undefined,
      close: async () => {
        try {
          await kysely.destroy()
        } finally {
          await release()
        }
      },
    }
  }
  const target = `Postgres at ${redactUrl(config.url)}`
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 8,
    connectionTimeoutMillis: 5000,
    // Floats must read back as the same double, in cells and in the JSON the server writes for
    // materialization: 3 gives the shortest exact text on Postgres 12+ (17 digits before),
    // whatever the server's or role's setting. The pool awaits this before it hands a new
    // connection out, and fails that request if it fails. (A transaction-mode pooler such as
    // PgBouncer does not keep session settings; Ward needs a session per connection.)
    onConnect: async (client) => {
      await client.query('set extra_float_digits = 3')
    },
  })
  // A client's network error would otherwise crash the process: pg emits it as an 'error' event,
  // which the pool listens to only while the client is idle. A busy client's query rejects with
  // the same error, so nothing is swallowed; the event only marks that a connection was lost.
  const seen = new WeakSet<object>()
  const remember = (e: unknown) => {
    if (typeof e === 'object' && e !== null) seen.add(e)
  }
  pool.on('error', remember)
  pool.on('connect', (client) => client.on('error', remember))
  const url = new URL(config.url)
  const server = { host: url.hostname, port: Number(url.port || 5432) }
  try {
    const client = await pool.connect()
    client.release()
  } catch (e) {
    await pool.end().catch(() => {})
    throw new AppError(
      'UNAVAILABLE',
      `${target} is not answering: ${(e as Error).message} (start it, or set DATABASE_URL / offline_store.url to one that runs)`,
      { field: 'offline_store.url', cause: e },
    )
  }
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const explainFailure = (e: unknown): AppError | undefined => {
    const lost = causes(e).find((c) => isConnectionFailure(c, server, seen))
    if (!lost) return undefined
    return new AppError(
      'UNAVAILABLE',
      `${target} stopped answering during the command (${lost.message}); what it had not committed was rolled back. Run the command again once the server answers`,
      { field: 'offline_store.url', cause: e },
    )
  }
  return { kysely, kind: 'postgres', pool, target, explainFailure, close: () => kysely.destroy() }
}

/** Socket errors of a connection that broke or could not be made. */
const SOCKET_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
])
/** Name lookups that failed: the error carries the host name, not a port. */
const LOOKUP_FAILURES = new Set(['ENOTFOUND', 'EAI_AGAIN'])

/** `e` and what it wraps (`cause`, an AggregateError's errors), so a wrapped loss is found too. */
const causes = (e: unknown, depth = 0): Error[] => {
  if (!(e instanceof Error) || depth > 4) return []
  const inner = [
    ...(e instanceof AggregateError ? e.errors : []),
    ...(e.cause === undefined ? [] : [e.cause]),
  ]
  return [e, ...inner.flatMap((c) => causes(c, depth + 1))]
}

/**
 * Whether `e` says the Postgres connection broke: SQLSTATE class 08 (connection exception) or
 * 57P01–57P03 (the server shutting down or not accepting connections), pg's own message for a
 * connection that ended, a socket error that one of the pool's clients reported (`seen`) or that
 * names the server's port, or a failed lookup of the server's host name.
 */
const isConnectionFailure = (
  e: Error,
  server: { host: string; port: number },
  seen: WeakSet<object>,
): boolean => {
  const { code, port, hostname } = e as { code?: unknown; port?: unknown; hostname?: unknown }
  if (typeof code !== 'string') return /^Connection terminated|is not queryable/.test(e.message)
  if (code.startsWith('08') || /^57P0[1-3]$/.test(code)) return true
  if (SOCKET_FAILURES.has(code)) return seen.has(e) || port === server.port
  return LOOKUP_FAILURES.has(code) && hostname === server.host
}

/**
 * One process at a time per PGlite data folder: PGlite has no server to arbitrate, and a second
 * process writing the same folder loses writes silently (measured: an insert made while another
 * process held the folder was gone once that process closed). The lock (proper-lockfile: a
 * `.lock` folder beside it, refreshed while held, stale after 30 s, removed on exit) is waited
 * for a few seconds, so a command started as the previous one exits still gets it.
 */
const lockDataDir = async (dataDir: string): Promise<() => Promise<void>> => {
  await mkdir(dataDir, { recursive: true })
  try {
    return await lockAcrossProcesses(dataDir, 3_000, true)
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ELOCKED') throw e
    throw new AppError(
      'UNAVAILABLE',
      `PGlite at ${dataDir} is in use by another ward process (e.g. \`ward serve\` or \`ward demo\`; after a crash the lock clears within 30 s); stop it first, or share a Postgres store (DATABASE_URL)`,
      { field: 'offline_store.path', cause: e },
    )
  }
}

const openPglite = async (dataDir: string | undefined): Promise<PGlite> => {
  try {
    if (dataDir) await mkdir(dataDir, { recursive: true })
    const db = new PGlite(dataDir)
    await db.waitReady
    return db
  } catch (e) {
    throw new AppError('UNAVAILABLE', `PGlite at ${dataDir ?? ':memory:'} cannot open: ${e}`, {
      cause: e,
    })
  }
}

/** Round trip to the database, for health checks. */
export const pingDb = async (db: Db): Promise<void> => {
  await sql`select 1`.execute(db.kysely)
}
